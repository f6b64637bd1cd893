//! Records on disk and on the wire: one format-version byte, then the value
//! in postcard. A record of another version is refused with
//! [`StorageError::Version`], never misread.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Result, StorageError};

/// The record format this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// Encodes `value` as a versioned record.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let out = vec![FORMAT_VERSION];
    postcard::to_extend(value, out).map_err(|e| StorageError::Encode(e.to_string()))
}

/// Decodes a versioned record.
pub fn decode<T: DeserializeOwned>(record: &[u8]) -> Result<T> {
    match record.split_first() {
        Some((&FORMAT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| StorageError::Decode(e.to_string()))
        }
        Some((&found, _)) => Err(StorageError::Version {
            found,
            expected: FORMAT_VERSION,
        }),
        None => Err(StorageError::Decode("empty record".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_versions() {
        let record = encode(&("a", 7u32)).expect("encodes");
        assert_eq!(record[0], FORMAT_VERSION);
        assert_eq!(
            decode::<(String, u32)>(&record).expect("decodes"),
            ("a".into(), 7)
        );
        let mut other = record.clone();
        other[0] = FORMAT_VERSION + 1;
        assert!(matches!(
            decode::<(String, u32)>(&other),
            Err(StorageError::Version { found, .. }) if found == FORMAT_VERSION + 1
        ));
        assert!(matches!(decode::<u8>(&[]), Err(StorageError::Decode(_))));
        assert!(matches!(
            decode::<u64>(&[FORMAT_VERSION]),
            Err(StorageError::Decode(_))
        ));
    }
}
