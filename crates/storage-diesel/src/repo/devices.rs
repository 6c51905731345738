use super::{page, Database};
use crate::connection::DbConnection;
use crate::dialect::per_backend;
use crate::error::{from_diesel, TxError};
use crate::schema::{device_limit_events, devices, events, organizers};
use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::dsl::max;
use diesel::prelude::*;
use presale_domain::access::TokenHash;
use presale_domain::device::{
    Device, DeviceFields, DeviceRepository, Hardware, Initialization, LimitEvent, NewDevice,
};
use presale_domain::ids::DeviceId;
use presale_domain::ids::EventId;
use presale_domain::ids::OrganizerId;
use presale_domain::pagination::{Page, Window};
use presale_domain::values::WireDateTime;
use presale_domain::RepositoryError;
use serde_json::Value;

/// How often a create is retried when a concurrent create took the same `device_id`.
const CREATE_ATTEMPTS: u32 = 20;

#[derive(Queryable, Selectable)]
#[diesel(table_name = devices)]
struct DeviceRow {
    id: i64,
    organizer_id: i64,
    device_id: i64,
    unique_serial: String,
    initialization_token: String,
    all_events: bool,
    revoked: bool,
    name: String,
    created: NaiveDateTime,
    initialized: Option<NaiveDateTime>,
    hardware_brand: Option<String>,
    hardware_model: Option<String>,
    os_name: Option<String>,
    os_version: Option<String>,
    software_brand: Option<String>,
    software_version: Option<String>,
    security_profile: String,
    rsa_pubkey: Option<String>,
    info: Option<String>,
    last_seen: Option<NaiveDateTime>,
}

/// Devices with their organizer's slug: `device_query!().filter(...)`.
macro_rules! device_query {
    () => {
        devices::table
            .inner_join(organizers::table)
            .select((DeviceRow::as_select(), organizers::slug))
    };
}

fn wire(t: NaiveDateTime) -> WireDateTime {
    WireDateTime::from_utc(Utc.from_utc_datetime(&t))
}

fn naive(t: WireDateTime) -> NaiveDateTime {
    t.utc().naive_utc()
}

fn info_text(info: &Option<Value>) -> Option<String> {
    info.as_ref().map(Value::to_string)
}

impl DeviceRow {
    fn into_device(
        self,
        organizer_slug: String,
        limit_events: Vec<LimitEvent>,
    ) -> Result<Device, RepositoryError> {
        let info = self
            .info
            .map(|text| serde_json::from_str::<Value>(&text))
            .transpose()
            .map_err(|e| RepositoryError::Internal(format!("device {}: bad info: {e}", self.id)))?;
        Ok(Device {
            id: DeviceId(self.id),
            organizer: OrganizerId(self.organizer_id),
            organizer_slug,
            device_id: self.device_id,
            unique_serial: self.unique_serial,
            initialization_token: self.initialization_token,
            all_events: self.all_events,
            limit_events,
            revoked: self.revoked,
            name: self.name,
            created: wire(self.created),
            initialized: self.initialized.map(wire),
            hardware: Hardware {
                hardware_brand: self.hardware_brand,
                hardware_model: self.hardware_model,
                os_name: self.os_name,
                os_version: self.os_version,
                software_brand: self.software_brand,
                software_version: self.software_version,
            },
            security_profile: self.security_profile,
            rsa_pubkey: self.rsa_pubkey,
            info,
            last_seen: self.last_seen.map(wire),
        })
    }
}

/// Devices from their rows, with the limit events of all of them loaded in one query, in
/// pretix's event order (start, name, slug).
fn load(
    conn: &mut DbConnection,
    rows: Vec<(DeviceRow, String)>,
) -> Result<Vec<Device>, RepositoryError> {
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let links: Vec<(i64, i64, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        device_limit_events::table
            .inner_join(events::table)
            .filter(device_limit_events::device_pk.eq_any(&ids))
            .order((
                events::date_from.asc(),
                events::name.asc(),
                events::slug.asc(),
                events::id.asc(),
            ))
            .select((device_limit_events::device_pk, events::id, events::slug))
            .load(conn)
            .map_err(from_diesel)?
    };
    rows.into_iter()
        .map(|(row, slug)| {
            let limit = links
                .iter()
                .filter(|(d, _, _)| *d == row.id)
                .map(|(_, e, s)| LimitEvent {
                    id: EventId(*e),
                    slug: s.clone(),
                })
                .collect();
            row.into_device(slug, limit)
        })
        .collect()
}

fn load_optional(
    conn: &mut DbConnection,
    row: Option<(DeviceRow, String)>,
) -> Result<Option<Device>, RepositoryError> {
    Ok(load(conn, row.into_iter().collect())?.pop())
}

fn load_by_id(conn: &mut DbConnection, id: i64) -> Result<Device, RepositoryError> {
    let row = device_query!()
        .filter(devices::id.eq(id))
        .first::<(DeviceRow, String)>(conn)
        .optional()
        .map_err(from_diesel)?;
    load_optional(conn, row)?
        .ok_or_else(|| RepositoryError::Internal(format!("device {id} vanished")))
}

/// Replaces the device's limit events.
pub(super) fn set_limit_events(
    conn: &mut DbConnection,
    device: i64,
    events: &[EventId],
) -> Result<(), diesel::result::Error> {
    diesel::delete(device_limit_events::table.filter(device_limit_events::device_pk.eq(device)))
        .execute(conn)?;
    if events.is_empty() {
        return Ok(());
    }
    let links: Vec<_> = events
        .iter()
        .map(|e| {
            (
                device_limit_events::device_pk.eq(device),
                device_limit_events::event_id.eq(e.0),
            )
        })
        .collect();
    let insert = diesel::insert_into(device_limit_events::table).values(links);
    per_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// The events among `ids` that belong to `organizer`.
fn own_events(
    conn: &mut DbConnection,
    organizer: i64,
    ids: &[EventId],
) -> Result<(), RepositoryError> {
    let ids: Vec<i64> = ids.iter().map(|e| e.0).collect();
    let own: i64 = events::table
        .filter(events::organizer_id.eq(organizer))
        .filter(events::id.eq_any(&ids))
        .count()
        .get_result(conn)
        .map_err(from_diesel)?;
    if usize::try_from(own).ok() == Some(ids.len()) {
        Ok(())
    } else {
        Err(RepositoryError::Internal(
            "limit_events names an event of another organizer".into(),
        ))
    }
}

#[async_trait]
impl DeviceRepository for Database {
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<Device>, RepositoryError> {
        self.read(move |conn| {
            let total = devices::table
                .filter(devices::organizer_id.eq(organizer.0))
                .count();
            let rows = device_query!()
                .filter(devices::organizer_id.eq(organizer.0))
                .order(devices::id.asc());
            page(conn, total, rows, window, load)
        })
        .await
    }

    async fn find(
        &self,
        organizer: OrganizerId,
        device_id: i64,
    ) -> Result<Option<Device>, RepositoryError> {
        self.read(move |conn| {
            let row = device_query!()
                .filter(devices::organizer_id.eq(organizer.0))
                .filter(devices::device_id.eq(device_id))
                .first::<(DeviceRow, String)>(conn)
                .optional()
                .map_err(from_diesel)?;
            load_optional(conn, row)
        })
        .await
    }

    async fn create(&self, device: NewDevice) -> Result<Device, RepositoryError> {
        self.write(move |conn| {
            own_events(conn, device.organizer.0, &device.fields.limit_events)?;
            let mut attempt = 0;
            loop {
                attempt += 1;
                // The next number is read outside the write transaction (so SQLite takes its
                // write lock with the INSERT); a concurrent create that took it makes the
                // INSERT fail on the unique (organizer, device_id), and it is tried again.
                let next = match device.device_id {
                    Some(given) => given,
                    None => {
                        let highest: Option<i64> = devices::table
                            .filter(devices::organizer_id.eq(device.organizer.0))
                            .select(max(devices::device_id))
                            .first(conn)
                            .map_err(from_diesel)?;
                        highest.unwrap_or(0) + 1
                    }
                };
                let f = &device.fields;
                let written = conn.transaction(|conn| {
                    let id: i64 = diesel::insert_into(devices::table)
                        .values((
                            devices::organizer_id.eq(device.organizer.0),
                            devices::device_id.eq(next),
                            devices::unique_serial.eq(&device.unique_serial),
                            devices::initialization_token.eq(&device.initialization_token),
                            devices::all_events.eq(f.all_events),
                            devices::revoked.eq(false),
                            devices::name.eq(&f.name),
                            devices::created.eq(naive(device.created)),
                            devices::security_profile.eq(&f.security_profile),
                        ))
                        .returning(devices::id)
                        .get_result(conn)?;
                    set_limit_events(conn, id, &f.limit_events)?;
                    Ok::<_, TxError>(load_by_id(conn, id)?)
                });
                match written.map_err(RepositoryError::from) {
                    Ok(device) => return Ok(device),
                    Err(RepositoryError::Conflict(_))
                        if attempt < CREATE_ATTEMPTS && device.device_id.is_none() =>
                    {
                        continue
                    }
                    Err(e) => return Err(e),
                }
            }
        })
        .await
    }

    async fn update(&self, id: DeviceId, fields: DeviceFields) -> Result<Device, RepositoryError> {
        self.write(move |conn| {
            let organizer: i64 = devices::table
                .find(id.0)
                .select(devices::organizer_id)
                .first(conn)
                .map_err(from_diesel)?;
            own_events(conn, organizer, &fields.limit_events)?;
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                diesel::update(devices::table.find(id.0))
                    .set((
                        devices::name.eq(&fields.name),
                        devices::all_events.eq(fields.all_events),
                        devices::security_profile.eq(&fields.security_profile),
                    ))
                    .execute(conn)?;
                set_limit_events(conn, id.0, &fields.limit_events)?;
                Ok(load_by_id(conn, id.0)?)
            })?)
        })
        .await
    }

    async fn find_by_initialization_token(
        &self,
        token: &str,
    ) -> Result<Option<Device>, RepositoryError> {
        let token = token.to_owned();
        self.read(move |conn| {
            let row = device_query!()
                .filter(devices::initialization_token.eq(&token))
                .first::<(DeviceRow, String)>(conn)
                .optional()
                .map_err(from_diesel)?;
            load_optional(conn, row)
        })
        .await
    }

    async fn initialize(
        &self,
        id: DeviceId,
        init: Initialization,
    ) -> Result<Option<Device>, RepositoryError> {
        self.write(move |conn| {
            let h = &init.hardware;
            let changed = diesel::update(
                devices::table
                    .find(id.0)
                    .filter(devices::initialized.is_null())
                    .filter(devices::revoked.eq(false)),
            )
            .set((
                devices::initialized.eq(Some(naive(init.at))),
                devices::api_token_hash.eq(Some(init.api_token.to_hex())),
                devices::hardware_brand.eq(&h.hardware_brand),
                devices::hardware_model.eq(&h.hardware_model),
                devices::os_name.eq(&h.os_name),
                devices::os_version.eq(&h.os_version),
                devices::software_brand.eq(&h.software_brand),
                devices::software_version.eq(&h.software_version),
                devices::rsa_pubkey.eq(&init.rsa_pubkey),
                devices::info.eq(info_text(&init.info)),
            ))
            .execute(conn)
            .map_err(from_diesel)?;
            if changed == 0 {
                return Ok(None);
            }
            load_by_id(conn, id.0).map(Some)
        })
        .await
    }

    async fn api_token_hash(&self, id: DeviceId) -> Result<Option<TokenHash>, RepositoryError> {
        self.read(move |conn| {
            let hex: Option<Option<String>> = devices::table
                .find(id.0)
                .select(devices::api_token_hash)
                .first(conn)
                .optional()
                .map_err(from_diesel)?;
            Ok(hex.flatten().as_deref().and_then(TokenHash::from_hex))
        })
        .await
    }

    async fn find_by_api_token(&self, hash: TokenHash) -> Result<Option<Device>, RepositoryError> {
        let cache = self.cache.clone();
        let key = hash.to_hex();
        cache
            .read_through(&cache.devices, key.clone(), || {
                self.read(move |conn| {
                    let row = device_query!()
                        .filter(devices::api_token_hash.eq(&key))
                        .first::<(DeviceRow, String)>(conn)
                        .optional()
                        .map_err(from_diesel)?;
                    load_optional(conn, row)
                })
            })
            .await
    }

    async fn update_report(
        &self,
        id: DeviceId,
        hardware: Hardware,
        info: Option<Value>,
        rsa_pubkey: Option<String>,
    ) -> Result<Option<Device>, RepositoryError> {
        self.write(move |conn| {
            let written = conn.transaction(|conn| {
                if let Some(key) = &rsa_pubkey {
                    // Set once: only where there is none yet, or the same one.
                    let set = diesel::update(
                        devices::table.find(id.0).filter(
                            devices::rsa_pubkey
                                .is_null()
                                .or(devices::rsa_pubkey.eq(key)),
                        ),
                    )
                    .set(devices::rsa_pubkey.eq(key))
                    .execute(conn)?;
                    if set == 0 {
                        return Ok(None);
                    }
                }
                diesel::update(devices::table.find(id.0))
                    .set((
                        devices::hardware_brand.eq(&hardware.hardware_brand),
                        devices::hardware_model.eq(&hardware.hardware_model),
                        devices::os_name.eq(&hardware.os_name),
                        devices::os_version.eq(&hardware.os_version),
                        devices::software_brand.eq(&hardware.software_brand),
                        devices::software_version.eq(&hardware.software_version),
                        devices::info.eq(info_text(&info)),
                    ))
                    .execute(conn)?;
                Ok::<_, TxError>(Some(load_by_id(conn, id.0)?))
            })?;
            Ok(written)
        })
        .await
    }

    async fn set_api_token(
        &self,
        id: DeviceId,
        current: TokenHash,
        new: TokenHash,
    ) -> Result<Option<Device>, RepositoryError> {
        // The new token is read back before COMMIT: a roll that is stored is never answered
        // with an error, which would leave the device with a dead token and no new one.
        self.write(move |conn| {
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                let changed = diesel::update(
                    devices::table
                        .find(id.0)
                        .filter(devices::api_token_hash.eq(current.to_hex())),
                )
                .set(devices::api_token_hash.eq(Some(new.to_hex())))
                .execute(conn)?;
                if changed == 0 {
                    return Ok(None);
                }
                Ok(load_by_id(conn, id.0).map(Some)?)
            })?)
        })
        .await
    }

    async fn revoke(&self, id: DeviceId) -> Result<Device, RepositoryError> {
        self.write(move |conn| {
            Ok(conn.transaction::<_, TxError, _>(|conn| {
                diesel::update(devices::table.find(id.0))
                    .set(devices::revoked.eq(true))
                    .execute(conn)?;
                Ok(load_by_id(conn, id.0)?)
            })?)
        })
        .await
    }

    async fn touch(
        &self,
        id: DeviceId,
        at: WireDateTime,
        unless_after: WireDateTime,
    ) -> Result<bool, RepositoryError> {
        // `last_seen` is not shown by the API: nothing kept is dropped (the triggers ignore it).
        // The device's cached copy is, so that it is not asked to be touched again on every
        // request until it expires.
        let touched = self
            .write_untracked(move |conn| {
                let changed = diesel::update(
                    devices::table.find(id.0).filter(
                        devices::last_seen
                            .is_null()
                            .or(devices::last_seen.le(naive(unless_after))),
                    ),
                )
                .set(devices::last_seen.eq(Some(naive(at))))
                .execute(conn)
                .map_err(from_diesel)?;
                Ok(changed > 0)
            })
            .await?;
        if touched {
            self.cache.devices.forget(|d| d.id == id);
        }
        Ok(touched)
    }
}
