//! How a write treats the fields a request left out.

/// One mode for every aggregate's writes. `Create` and `Replace` (PUT) need every required
/// field; `Partial` (PATCH) changes only what was sent. What an omitted optional field becomes
/// under `Replace` is the aggregate's rule, as in pretix's serializers: most keep their value,
/// some fall back to their default (a digital content's, an imported secret's, an event's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Create,
    Replace,
    Partial,
}

impl WriteMode {
    /// Whether the required fields must be sent.
    pub fn is_full(self) -> bool {
        self != WriteMode::Partial
    }
}

/// Declares an aggregate's writable state and the changes a request makes to it from one list
/// of fields, so that a new field is written once:
///
/// - the state struct (`$data`), each field as listed;
/// - the changes struct (`$changes`), each field as `Option<T>` (`None` = not sent; a nullable
///   field, `Option<T>` in the state, is `Option<Option<T>>`: `Some(None)` = sent as null),
///   followed by the changes' own fields (values a request may send that are not state);
/// - `$changes::overlay(self, base)`: every field sent replaces `base`'s, every field left out
///   keeps `base`'s;
/// - `$data::defaults(..)`: the state a create (or a full replace) starts from, each field at
///   its `= default`; the required fields have none of their own and come as arguments.
///
/// The aggregate's own rules (normalising lists, resolving references) run on the result.
macro_rules! writable {
    (
        $(#[$data_meta:meta])*
        pub struct $data:ident;
        $(#[$changes_meta:meta])*
        pub struct $changes:ident {
            $( $(#[$extra_meta:meta])* pub $extra:ident : $extra_ty:ty, )*
        }
        $(#[$defaults_meta:meta])*
        fields ( $( $param:ident : $param_ty:ty ),* ) {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $default:expr, )+
        }
    ) => {
        $(#[$data_meta])*
        pub struct $data {
            $( $(#[$field_meta])* pub $field: $ty, )+
        }

        $(#[$changes_meta])*
        pub struct $changes {
            $( pub $field: Option<$ty>, )+
            $( $(#[$extra_meta])* pub $extra: $extra_ty, )*
        }

        impl $changes {
            /// Every field sent replaces `base`'s; every field left out keeps `base`'s.
            pub fn overlay(self, base: $data) -> $data {
                $data { $( $field: match self.$field { Some(value) => value, None => base.$field }, )+ }
            }
        }

        impl $data {
            $(#[$defaults_meta])*
            #[allow(clippy::new_without_default)]
            pub fn defaults($( $param: $param_ty ),*) -> $data {
                $data { $( $field: $default, )+ }
            }
        }
    };
}
pub(crate) use writable;

#[cfg(test)]
mod tests {
    super::writable! {
        #[derive(Debug, Clone, PartialEq)]
        pub struct Data;
        #[derive(Debug, Default)]
        pub struct Changes {
            /// Not state: `overlay` leaves it out.
            #[allow(dead_code)]
            pub note: Option<String>,
        }
        fields(name: String) {
            name: String = name,
            size: Option<i64> = Some(10),
            tags: Vec<String> = vec!["a".to_owned()],
        }
    }

    #[test]
    fn defaults_take_the_required_fields_and_the_declared_defaults() {
        let data = Data::defaults("x".to_owned());
        let expected = Data {
            name: "x".to_owned(),
            size: Some(10),
            tags: vec!["a".to_owned()],
        };
        assert_eq!(data, expected);
    }

    #[test]
    fn overlay_replaces_what_was_sent_and_keeps_the_rest() {
        let base = Data::defaults("x".to_owned());
        let keep = Changes::default().overlay(base.clone());
        assert_eq!(keep, base);
        let changes = Changes {
            size: Some(None),
            tags: Some(vec![]),
            note: Some("not state".to_owned()),
            ..Changes::default()
        };
        let expected = Data {
            name: "x".to_owned(),
            size: None,
            tags: vec![],
        };
        assert_eq!(changes.overlay(base), expected);
    }
}
