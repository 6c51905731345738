//! Teams, API tokens, and what a credential may do (docs/api-compatibility.md).

use crate::device::{DeviceId, SecurityProfile};
use crate::error::RepositoryError;
use crate::organizer::OrganizerId;
use crate::pagination::{Page, Window};
use async_trait::async_trait;
use rand::distributions::Uniform;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt;

/// Database id of a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TeamId(pub i64);

/// Database id of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub i64);

/// Database id of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub i64);

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

/// A team with the slugs of the events it is limited to (sorted), as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamWithEvents {
    pub team: Team,
    pub limit_events: Vec<String>,
}

/// A team to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
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

/// A team's API token as stored: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub team: TeamId,
    pub name: String,
    pub active: bool,
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

/// Why a token was refused. The messages are pretix's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Invalid token.")]
    InvalidToken,
    #[error("Token inactive or deleted.")]
    Inactive,
    /// A device token of a device that has not been initialized.
    #[error("Device has not been initialized.")]
    NotInitialized,
    /// A device token of a revoked device.
    #[error("Device access has been revoked.")]
    Revoked,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Port: API tokens and the teams they belong to.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// The token with this hash and its team, active or not; `Ok(None)` when no token has
    /// this hash.
    async fn find_by_hash(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(ApiToken, Team)>, RepositoryError>;

    /// Stores a new active token for `team` under `hash`.
    async fn create(
        &self,
        team: TeamId,
        name: &str,
        hash: TokenHash,
    ) -> Result<ApiToken, RepositoryError>;

    /// One page of the team's tokens, active or not, ordered by name then id.
    async fn list(&self, team: TeamId, window: Window) -> Result<Page<ApiToken>, RepositoryError>;

    /// The team's token with this id; `Ok(None)` if the team has none.
    async fn find(&self, team: TeamId, id: TokenId) -> Result<Option<ApiToken>, RepositoryError>;

    /// The hash a token is stored under (tokens themselves are never stored).
    async fn hash(&self, id: TokenId) -> Result<Option<TokenHash>, RepositoryError>;

    /// Moves the token to `team` (of the same organizer) under `name`; `active` may only
    /// turn false, never back (the caller checks). `Ok(None)` if there is no such token.
    async fn update(
        &self,
        id: TokenId,
        team: TeamId,
        name: &str,
        active: bool,
    ) -> Result<Option<ApiToken>, RepositoryError>;

    /// Deactivates the team's token (it is kept, never deleted); `Ok(None)` if the team has
    /// no such token.
    async fn deactivate(
        &self,
        team: TeamId,
        id: TokenId,
    ) -> Result<Option<ApiToken>, RepositoryError>;
}

/// Port: organizer teams.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TeamRepository: Send + Sync {
    /// Creates the team with its event limits. Must return `RepositoryError::Conflict` when an
    /// event in `EventScope::Limited` does not belong to the team's organizer.
    async fn create(&self, team: NewTeam) -> Result<Team, RepositoryError>;

    /// One page of the organizer's teams, ordered by id, each with the slugs of its
    /// `limit_events`.
    async fn list(
        &self,
        organizer: OrganizerId,
        window: Window,
    ) -> Result<Page<TeamWithEvents>, RepositoryError>;

    /// The organizer's team with this id; `Ok(None)` if there is none in this organizer.
    async fn find(
        &self,
        organizer: OrganizerId,
        id: TeamId,
    ) -> Result<Option<TeamWithEvents>, RepositoryError>;

    /// The organizer's teams with exactly this name, ordered by id.
    async fn find_by_name(
        &self,
        organizer: OrganizerId,
        name: &str,
    ) -> Result<Vec<Team>, RepositoryError>;

    /// Replaces the name, permissions and event scope of the organizer's team `id` (the
    /// organizer of `team` scopes the lookup); `Ok(None)` if there is no such team. Must
    /// return `RepositoryError::Conflict`, writing nothing, when an event in
    /// `EventScope::Limited` does not belong to the organizer.
    async fn update(&self, id: TeamId, team: NewTeam) -> Result<Option<Team>, RepositoryError>;

    /// Deletes the organizer's team with its tokens and event limits; `false` if there was
    /// none.
    async fn delete(&self, organizer: OrganizerId, id: TeamId) -> Result<bool, RepositoryError>;
}

/// Checks a presented API token: unknown gives [`AuthError::InvalidToken`], deactivated
/// gives [`AuthError::Inactive`].
pub async fn authenticate_token(
    tokens: &dyn TokenRepository,
    presented: &str,
) -> Result<Principal, AuthError> {
    match tokens.find_by_hash(TokenHash::of(presented)).await? {
        None => Err(AuthError::InvalidToken),
        Some((token, _)) if !token.active => Err(AuthError::Inactive),
        Some((token, team)) => Ok(Principal::TeamToken {
            token: token.id,
            team,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(permissions: PermissionSet, events: EventScope) -> Team {
        Team {
            id: TeamId(3),
            organizer: OrganizerId(1),
            name: "API".into(),
            permissions,
            events,
        }
    }

    fn token(active: bool) -> ApiToken {
        ApiToken {
            id: TokenId(9),
            team: TeamId(3),
            name: "ci".into(),
            active,
        }
    }

    #[test]
    fn generated_tokens_are_64_lowercase_alphanumerics() {
        let t = PlainToken::generate();
        assert_eq!(t.as_str().len(), 64);
        assert!(t
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(t, PlainToken::generate());
        assert_eq!(t.hash(), TokenHash::of(t.as_str()));
        assert_eq!(t.hash().to_hex().len(), 64);
    }

    #[test]
    fn permission_names_round_trip_in_order() {
        let names: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names[0], "can_create_events");
        assert_eq!(names[12], "can_manage_reusable_media");
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        assert_eq!(Permission::from_name("can_fly"), None);
    }

    #[test]
    fn principal_has_exactly_its_teams_permissions_and_events() {
        let perms: PermissionSet = [Permission::ChangeItems].into_iter().collect();
        let p = Principal::TeamToken {
            token: TokenId(9),
            team: team(perms, EventScope::Limited(vec![EventId(5)])),
        };
        assert!(p.has_permission(Permission::ChangeItems));
        assert!(!p.has_permission(Permission::CreateEvents));
        assert!(p.can_access_event(EventId(5)));
        assert!(!p.can_access_event(EventId(6)));
        assert_eq!(p.organizer(), OrganizerId(1));

        let all = Principal::TeamToken {
            token: TokenId(9),
            team: team(PermissionSet::all(), EventScope::All),
        };
        assert!(Permission::ALL.iter().all(|x| all.has_permission(*x)));
        assert!(all.can_access_event(EventId(123)));
    }

    #[test]
    fn a_device_has_no_permission_and_only_its_events() {
        let p = Principal::Device {
            device: DeviceId(4),
            organizer: OrganizerId(2),
            events: EventScope::Limited(vec![EventId(5)]),
            profile: SecurityProfile::PretixScan,
        };
        assert!(Permission::ALL.iter().all(|x| !p.has_permission(*x)));
        assert!(p.can_access_event(EventId(5)));
        assert!(!p.can_access_event(EventId(6)));
        assert_eq!(p.organizer(), OrganizerId(2));
        assert!(p.is_device());
        assert_eq!(p.device_profile(), Some(SecurityProfile::PretixScan));
        let all = Principal::Device {
            device: DeviceId(4),
            organizer: OrganizerId(2),
            events: EventScope::All,
            profile: SecurityProfile::Full,
        };
        assert!(all.can_access_event(EventId(123)));
        assert!(!all.has_permission(Permission::ChangeOrganizerSettings));
    }

    #[pollster::test]
    async fn unknown_token_is_invalid() {
        let mut repo = MockTokenRepository::new();
        repo.expect_find_by_hash()
            .withf(|h| *h == TokenHash::of("nope"))
            .returning(|_| Ok(None));
        assert_eq!(
            authenticate_token(&repo, "nope").await,
            Err(AuthError::InvalidToken)
        );
    }

    #[pollster::test]
    async fn inactive_token_is_refused() {
        let mut repo = MockTokenRepository::new();
        repo.expect_find_by_hash().returning(|_| {
            Ok(Some((
                token(false),
                team(PermissionSet::all(), EventScope::All),
            )))
        });
        assert_eq!(
            authenticate_token(&repo, "t").await,
            Err(AuthError::Inactive)
        );
        assert_eq!(
            AuthError::Inactive.to_string(),
            "Token inactive or deleted."
        );
    }

    #[pollster::test]
    async fn active_token_yields_its_team() {
        let mut repo = MockTokenRepository::new();
        repo.expect_find_by_hash().returning(|_| {
            Ok(Some((
                token(true),
                team(PermissionSet::none(), EventScope::All),
            )))
        });
        let p = authenticate_token(&repo, "t").await;
        assert_eq!(
            p,
            Ok(Principal::TeamToken {
                token: TokenId(9),
                team: team(PermissionSet::none(), EventScope::All)
            })
        );
    }

    #[pollster::test]
    async fn storage_outage_is_passed_on() {
        let mut repo = MockTokenRepository::new();
        repo.expect_find_by_hash()
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        assert_eq!(
            authenticate_token(&repo, "t").await,
            Err(AuthError::Repository(RepositoryError::Unavailable(
                "down".into()
            )))
        );
    }
}
