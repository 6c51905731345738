//! What a credential may do: permissions, the events a credential may see, the team a token
//! carries, a device's security profile, and token hashes. Depends on no aggregate.

mod profile;

pub use profile::{ApiRoute, RouteMethod, SecurityProfile};

use crate::ids::{DeviceId, EventId, OrganizerId, TeamId, TokenId};
use rand::distributions::Uniform;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt;

/// An organizer-level team permission, in pretix's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    CreateEvents,
    ChangeTeams,
    ChangeOrganizerSettings,
    ManageGiftCards,
    ChangeEventSettings,
    ChangeItems,
    ViewOrders,
    ChangeOrders,
    ViewVouchers,
    ChangeVouchers,
    CheckinOrders,
    ManageCustomers,
    ManageReusableMedia,
}

impl Permission {
    /// Every permission, in the order pretix lists them.
    pub const ALL: [Permission; 13] = [
        Permission::CreateEvents,
        Permission::ChangeTeams,
        Permission::ChangeOrganizerSettings,
        Permission::ManageGiftCards,
        Permission::ChangeEventSettings,
        Permission::ChangeItems,
        Permission::ViewOrders,
        Permission::ChangeOrders,
        Permission::ViewVouchers,
        Permission::ChangeVouchers,
        Permission::CheckinOrders,
        Permission::ManageCustomers,
        Permission::ManageReusableMedia,
    ];

    /// The flag's name on the wire, e.g. `can_create_events`.
    pub fn name(self) -> &'static str {
        match self {
            Permission::CreateEvents => "can_create_events",
            Permission::ChangeTeams => "can_change_teams",
            Permission::ChangeOrganizerSettings => "can_change_organizer_settings",
            Permission::ManageGiftCards => "can_manage_gift_cards",
            Permission::ChangeEventSettings => "can_change_event_settings",
            Permission::ChangeItems => "can_change_items",
            Permission::ViewOrders => "can_view_orders",
            Permission::ChangeOrders => "can_change_orders",
            Permission::ViewVouchers => "can_view_vouchers",
            Permission::ChangeVouchers => "can_change_vouchers",
            Permission::CheckinOrders => "can_checkin_orders",
            Permission::ManageCustomers => "can_manage_customers",
            Permission::ManageReusableMedia => "can_manage_reusable_media",
        }
    }

    /// The permission with this wire name.
    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Permission`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub fn none() -> Self {
        PermissionSet(0)
    }

    pub fn all() -> Self {
        Permission::ALL.into_iter().collect()
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= p.bit();
    }

    pub fn remove(&mut self, p: Permission) {
        self.0 &= !p.bit();
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        Permission::ALL.into_iter().filter(|p| self.contains(*p))
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::none();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

/// Which of its organizer's events a team (and so its tokens) may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope {
    /// `all_events: true`.
    All,
    /// `all_events: false` with these `limit_events`.
    Limited(Vec<EventId>),
}

impl EventScope {
    pub fn includes(&self, event: EventId) -> bool {
        match self {
            EventScope::All => true,
            EventScope::Limited(ids) => ids.contains(&event),
        }
    }
}

/// An organizer team: the unit that carries permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub organizer: OrganizerId,
    pub name: String,
    pub permissions: PermissionSet,
    pub events: EventScope,
}

/// The SHA-256 of a token: what is stored and looked up, never the token itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenHash(bytes)
    }

    /// Lower-case hex, as stored.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The hash written as [`TokenHash::to_hex`] writes it (64 lower-case hex digits).
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        let hash = TokenHash(bytes);
        (hash.to_hex() == hex).then_some(hash)
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.to_hex())
    }
}

/// A freshly generated secret token: 64 characters of `a-z0-9`, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainToken(String);

impl PlainToken {
    pub const LENGTH: usize = 64;

    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let dist = Uniform::from(0..ALPHABET.len());
        let token = rand::thread_rng()
            .sample_iter(dist)
            .take(Self::LENGTH)
            .map(|i| ALPHABET[i] as char)
            .collect();
        PlainToken(token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainToken(***)")
    }
}

/// Who is making a request, once authenticated, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A team API token: exactly its team's permissions, on its team's organizer only.
    TeamToken { token: TokenId, team: Team },
    /// An initialized, not revoked device (docs/api-compatibility.md): no permission at all; it reads
    /// the events of its `all_events`/`limit_events`, on the routes its profile allows.
    Device {
        device: DeviceId,
        organizer: OrganizerId,
        events: EventScope,
        profile: SecurityProfile,
    },
}

impl Principal {
    /// The one organizer this credential belongs to.
    pub fn organizer(&self) -> OrganizerId {
        match self {
            Principal::TeamToken { team, .. } => team.organizer,
            Principal::Device { organizer, .. } => *organizer,
        }
    }

    pub fn has_permission(&self, permission: Permission) -> bool {
        match self {
            Principal::TeamToken { team, .. } => team.permissions.contains(permission),
            Principal::Device { .. } => false,
        }
    }

    /// Which of its organizer's events this credential may see.
    pub fn event_scope(&self) -> &EventScope {
        match self {
            Principal::TeamToken { team, .. } => &team.events,
            Principal::Device { events, .. } => events,
        }
    }

    pub fn can_access_event(&self, event: EventId) -> bool {
        self.event_scope().includes(event)
    }

    pub fn is_device(&self) -> bool {
        matches!(self, Principal::Device { .. })
    }

    /// A device's security profile; `None` for other credentials.
    pub fn device_profile(&self) -> Option<SecurityProfile> {
        match self {
            Principal::Device { profile, .. } => Some(*profile),
            Principal::TeamToken { .. } => None,
        }
    }
}
