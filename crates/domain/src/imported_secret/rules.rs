//! The use cases behind the imported secrets API and the `secrets import` command.

use super::{
    check_secret, CatalogMatches, ImportedSecret, ImportedSecretId, ImportedSecretRepository,
    SecretChanges, SecretData, BULK_MAX, DUPLICATE, DUPLICATE_IN_REQUEST, IMPORTED_SECRET_FIELDS,
    USED_NOT_DELETABLE, USED_RESET, VARIATION_OF_OTHER_ITEM,
};
use crate::error::RepositoryError;
use crate::ids::EventId;
use crate::validation::FieldErrors;
use crate::write::WriteMode;
use std::collections::HashMap;

use crate::validation::REQUIRED;

/// How often a write that lost a race (a concurrent import of the same secret, a concurrent
/// change of `used`) is checked and tried again before giving up.
const ATTEMPTS: usize = 3;

/// Why secrets were not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportedSecretError {
    /// The fields refused, with their messages.
    #[error("invalid secret: {0:?}")]
    Invalid(FieldErrors),
    /// The objects refused: one error object per object sent, empty for the valid ones.
    #[error("invalid secrets: {0:?}")]
    InvalidObjects(Vec<FieldErrors>),
    /// More than [`BULK_MAX`] objects in one request.
    #[error("more than {BULK_MAX} secrets in one request")]
    TooMany,
    /// The event has no such secret.
    #[error("no such secret")]
    NotFound,
    /// A used secret is not deleted: [`USED_NOT_DELETABLE`].
    #[error("{USED_NOT_DELETABLE}")]
    UsedCannotBeDeleted,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// What an import of a chunk did: the secrets written, and the objects refused (by their
/// position in the chunk) with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: Vec<ImportedSecret>,
    pub rejected: Vec<(usize, FieldErrors)>,
}

/// One object on its way to the database.
struct Candidate {
    data: SecretData,
    errors: FieldErrors,
    /// The stored secret an update changes (its own secret text is no duplicate).
    current: Option<ImportedSecretId>,
}

impl Candidate {
    /// `changes` applied to `base`; with `required`, a missing `secret` is an error.
    fn new(
        base: SecretData,
        mut changes: SecretChanges,
        required: bool,
        current: Option<ImportedSecretId>,
    ) -> Self {
        let mut errors = std::mem::take(&mut changes.errors);
        // Not an object at all: that is the only error.
        let object = !errors.has("non_field_errors");
        if object && required && changes.secret.is_none() && !errors.has("secret") {
            errors.add("secret", REQUIRED);
        }
        if let Some(secret) = &changes.secret {
            if let Err(e) = check_secret(secret) {
                errors.add("secret", e);
            }
        }
        let data = changes.overlay(base);
        Candidate {
            data,
            errors,
            current,
        }
    }

    /// Whether the secret text itself is valid, so that it can be checked for duplicates.
    fn secret_checkable(&self) -> bool {
        !self.errors.has("secret")
    }
}

fn unknown_pk(id: i64) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}

/// The products, variations and dates must be the event's, the variation one of the product's.
async fn check_catalog(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    candidates: &mut [Candidate],
) -> Result<(), RepositoryError> {
    let mut items = Vec::new();
    let mut variations = Vec::new();
    let mut subevents = Vec::new();
    for c in candidates.iter() {
        items.extend(c.data.item);
        variations.extend(c.data.variation);
        subevents.extend(c.data.subevent);
    }
    if items.is_empty() && variations.is_empty() && subevents.is_empty() {
        return Ok(());
    }
    items.sort();
    items.dedup();
    variations.sort();
    variations.dedup();
    subevents.sort();
    subevents.dedup();
    let found: CatalogMatches = repo.catalog(event, items, variations, subevents).await?;
    for c in candidates.iter_mut() {
        if let Some(item) = c.data.item {
            if !found.items.contains(&item) {
                c.errors.add("item", unknown_pk(item.0));
            }
        }
        if let Some(variation) = c.data.variation {
            match found.variations.iter().find(|(v, _)| *v == variation) {
                None => c.errors.add("variation", unknown_pk(variation.0)),
                // Like an object-level rule: only once both fields could be read.
                Some((_, item)) if c.data.item != Some(*item) && !c.errors.has("item") => {
                    c.errors.add("variation", VARIATION_OF_OTHER_ITEM)
                }
                Some(_) => {}
            }
        }
        if let Some(subevent) = c.data.subevent {
            if !found.subevents.contains(&subevent) {
                c.errors.add("subevent", unknown_pk(subevent.0));
            }
        }
    }
    Ok(())
}

/// A secret sent twice in one request: the second and later ones are refused.
fn check_batch_duplicates(candidates: &mut [Candidate]) {
    let mut seen: HashMap<String, ()> = HashMap::with_capacity(candidates.len());
    for c in candidates.iter_mut().filter(|c| c.secret_checkable()) {
        if seen.insert(c.data.secret.clone(), ()).is_some() {
            c.errors.add("secret", DUPLICATE_IN_REQUEST);
        }
    }
}

/// A secret the event already has (other than the one being updated) is refused; returns
/// whether any was found.
async fn check_stored_duplicates(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    candidates: &mut [Candidate],
) -> Result<bool, RepositoryError> {
    let secrets: Vec<String> = candidates
        .iter()
        .filter(|c| c.secret_checkable())
        .map(|c| c.data.secret.clone())
        .collect();
    if secrets.is_empty() {
        return Ok(false);
    }
    let taken: HashMap<String, ImportedSecretId> =
        repo.existing(event, secrets).await?.into_iter().collect();
    let mut found = false;
    for c in candidates.iter_mut().filter(|c| c.secret_checkable()) {
        if let Some(id) = taken.get(&c.data.secret) {
            if c.current != Some(*id) {
                c.errors.add("secret", DUPLICATE);
                found = true;
            }
        }
    }
    Ok(found)
}

/// Every rule for every candidate; afterwards each candidate's errors are complete and in
/// field order.
async fn validate(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    candidates: &mut [Candidate],
) -> Result<(), RepositoryError> {
    check_catalog(repo, event, candidates).await?;
    check_batch_duplicates(candidates);
    check_stored_duplicates(repo, event, candidates).await?;
    for c in candidates.iter_mut() {
        c.errors.sort_by_order(IMPORTED_SECRET_FIELDS);
    }
    Ok(())
}

/// Writes the candidates, all valid, in one transaction: the stored secrets, or `None` when a
/// concurrent request made some of them invalid (an import of the same secrets won the race,
/// or a product, variation or date they name was deleted): the errors are then marked on the
/// candidates, and nothing was written.
async fn write_all(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    candidates: &mut [Candidate],
) -> Result<Option<Vec<ImportedSecret>>, RepositoryError> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let data = candidates.iter().map(|c| c.data.clone()).collect();
        match repo.create(event, data).await {
            Ok(created) => return Ok(Some(created)),
            Err(RepositoryError::Conflict(why)) => {
                if check_stored_duplicates(repo, event, candidates).await? {
                    return Ok(None);
                }
                // The other writer has not committed yet: its row decides the next attempt.
                last = Some(why);
            }
            Err(RepositoryError::ReferenceGone(why)) => {
                check_catalog(repo, event, candidates).await?;
                if candidates.iter().any(|c| !c.errors.is_empty()) {
                    return Ok(None);
                }
                // Nothing the secrets name is gone: the event is.
                return Err(RepositoryError::ReferenceGone(why));
            }
            Err(e) => return Err(e),
        }
    }
    Err(RepositoryError::Conflict(last.unwrap_or_default()))
}

fn new_candidates(objects: Vec<SecretChanges>) -> Vec<Candidate> {
    objects
        .into_iter()
        .map(|changes| Candidate::new(SecretData::defaults(), changes, true, None))
        .collect()
}

/// Imports one secret: `secret` is required, the other fields default to
/// unused and unrestricted. The caller has checked `can_change_items`.
pub async fn create_secret(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    changes: SecretChanges,
) -> Result<ImportedSecret, ImportedSecretError> {
    match bulk_create_secrets(repo, event, vec![changes]).await {
        Ok(mut created) => created.pop().ok_or_else(|| {
            ImportedSecretError::Repository(RepositoryError::Internal(
                "the created secret was not returned".into(),
            ))
        }),
        Err(ImportedSecretError::InvalidObjects(mut errors)) => Err(ImportedSecretError::Invalid(
            errors.pop().unwrap_or_default(),
        )),
        Err(e) => Err(e),
    }
}

/// Imports secrets in bulk: at most [`BULK_MAX`] objects, each
/// checked like a single create, plus duplicates within the request; written all together in
/// one transaction, or, if any object is refused, not at all.
pub async fn bulk_create_secrets(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    objects: Vec<SecretChanges>,
) -> Result<Vec<ImportedSecret>, ImportedSecretError> {
    if objects.len() > BULK_MAX {
        return Err(ImportedSecretError::TooMany);
    }
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut candidates = new_candidates(objects);
    validate(repo, event, &mut candidates).await?;
    let refused = |candidates: Vec<Candidate>| {
        ImportedSecretError::InvalidObjects(candidates.into_iter().map(|c| c.errors).collect())
    };
    if candidates.iter().any(|c| !c.errors.is_empty()) {
        return Err(refused(candidates));
    }
    match write_all(repo, event, &mut candidates).await? {
        Some(created) => Ok(created),
        None => Err(refused(candidates)),
    }
}

/// One chunk of a file import (at most [`BULK_MAX`] objects): the same checks as
/// `bulk_create`, but the valid objects are written (in one transaction) and the others
/// reported, by position.
pub async fn import_secrets(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    objects: Vec<SecretChanges>,
) -> Result<ImportOutcome, ImportedSecretError> {
    if objects.len() > BULK_MAX {
        return Err(ImportedSecretError::TooMany);
    }
    let mut candidates = new_candidates(objects);
    validate(repo, event, &mut candidates).await?;
    let mut rejected = Vec::new();
    let mut valid = Vec::new();
    let mut positions = Vec::new();
    for (i, c) in candidates.into_iter().enumerate() {
        if c.errors.is_empty() {
            valid.push(c);
            positions.push(i);
        } else {
            rejected.push((i, c.errors));
        }
    }
    // Each lost race refuses at least one more object, so this ends.
    let created = loop {
        if valid.is_empty() {
            break Vec::new();
        }
        if let Some(created) = write_all(repo, event, &mut valid).await? {
            break created;
        }
        // The secrets imported meanwhile join the refused ones; the rest is written.
        let (still, now_refused): (Vec<_>, Vec<_>) = valid
            .into_iter()
            .zip(positions)
            .partition(|(c, _)| c.errors.is_empty());
        rejected.extend(now_refused.into_iter().map(|(c, i)| (i, c.errors)));
        (valid, positions) = still.into_iter().unzip();
    };
    rejected.sort_by_key(|(i, _)| *i);
    Ok(ImportOutcome { created, rejected })
}

/// Replacing a secret (`WriteMode::Replace`) needs `secret` and resets the fields left out
/// to their defaults (as the document says); changing it (`WriteMode::Partial`) changes
/// what was sent. `used` never goes back from true to false.
pub async fn update_secret(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    current: ImportedSecret,
    changes: SecretChanges,
    mode: WriteMode,
) -> Result<ImportedSecret, ImportedSecretError> {
    let mut current = current;
    for _ in 0..ATTEMPTS {
        let (base, required) = match mode {
            WriteMode::Create | WriteMode::Replace => (SecretData::defaults(), true),
            WriteMode::Partial => (current.data.clone(), false),
        };
        let mut candidates = [Candidate::new(
            base,
            changes.clone(),
            required,
            Some(current.id),
        )];
        if current.data.used && !candidates[0].data.used && !candidates[0].errors.has("used") {
            candidates[0].errors.add("used", USED_RESET);
        }
        validate(repo, event, &mut candidates).await?;
        let [candidate] = candidates;
        if !candidate.errors.is_empty() {
            return Err(ImportedSecretError::Invalid(candidate.errors));
        }
        match repo
            .update(event, current.id, current.data.used, candidate.data)
            .await
        {
            Ok(Some(updated)) => return Ok(updated),
            Ok(None) => {
                // Deleted, or `used` changed meanwhile: check again against what is stored.
                current = repo
                    .find(event, current.id)
                    .await?
                    .ok_or(ImportedSecretError::NotFound)?;
            }
            // A concurrent write took the secret, or deleted a product, variation or date it
            // names: checking again against what is stored now reports it.
            Err(RepositoryError::Conflict(_) | RepositoryError::ReferenceGone(_)) => {
                current = repo
                    .find(event, current.id)
                    .await?
                    .ok_or(ImportedSecretError::NotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepositoryError::Conflict("the secret keeps changing".into()).into())
}

/// Deletes a secret: a used secret stays (refused).
pub async fn delete_secret(
    repo: &dyn ImportedSecretRepository,
    event: EventId,
    id: ImportedSecretId,
) -> Result<(), ImportedSecretError> {
    let secret = repo
        .find(event, id)
        .await?
        .ok_or(ImportedSecretError::NotFound)?;
    if secret.data.used {
        return Err(ImportedSecretError::UsedCannotBeDeleted);
    }
    if repo.delete_unused(event, id).await? {
        return Ok(());
    }
    // Deleted or used meanwhile.
    match repo.find(event, id).await? {
        Some(s) if s.data.used => Err(ImportedSecretError::UsedCannotBeDeleted),
        _ => Err(ImportedSecretError::NotFound),
    }
}
