//! Bitstring Status List v1.0: revocations published as one bit per certificate. The list is a
//! bitstring of at least 131,072 bits (16 KB, so one revocation hides among many), the bit of
//! index 0 first (the most significant bit of the first byte), GZIP-compressed and written as
//! base64url multibase (`u…`) in the status list credential's `encodedList`.

use std::io::{Read, Write};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use flate2::{Compression, read::GzDecoder, write::GzEncoder};

/// Entries per list.
pub const LIST_SIZE: u64 = 131_072;

/// How many lists an issuer publishes at most (lists 1 to this): room for 2^31 certificates.
pub const MAX_LISTS: u32 = 16_384;

/// Where a certificate's bit lives: which list, which index in it.
pub fn position(status_index: u64) -> (u64, u64) {
    (status_index / LIST_SIZE + 1, status_index % LIST_SIZE)
}

/// The `encodedList` of a list whose set bits are `set` (indexes within the list; any
/// outside it are ignored).
pub fn encode(set: impl IntoIterator<Item = u64>) -> String {
    let mut bits = vec![0u8; usize::try_from(LIST_SIZE / 8).unwrap_or(16_384)];
    for index in set {
        let Ok(byte) = usize::try_from(index / 8) else {
            continue;
        };
        if let Some(b) = bits.get_mut(byte) {
            *b |= 0x80 >> (index % 8);
        }
    }
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let compressed = gzip
        .write_all(&bits)
        .and_then(|()| gzip.finish())
        .unwrap_or_default();
    format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Whether bit `index` is set in an `encodedList`; `None` when it is not one.
pub fn is_set(encoded: &str, index: u64) -> Option<bool> {
    let compressed = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u')?).ok()?;
    let mut bits = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .take(LIST_SIZE * 8)
        .read_to_end(&mut bits)
        .ok()?;
    let byte = bits.get(usize::try_from(index / 8).ok()?)?;
    Some(byte & (0x80 >> (index % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_bits_read_back_and_others_stay_clear() {
        let encoded = encode([0, 7, 8, 131_071, 200_000]);
        assert!(encoded.starts_with('u'));
        for index in [0, 7, 8, 131_071] {
            assert_eq!(is_set(&encoded, index), Some(true), "{index}");
        }
        for index in [1, 6, 9, 65_536, 131_070] {
            assert_eq!(is_set(&encoded, index), Some(false), "{index}");
        }
        assert_eq!(is_set(&encoded, 131_072), None);
        assert_eq!(is_set("not a list", 1), None);
        // An empty list compresses to well under a kilobyte.
        assert!(encode([]).len() < 200);
    }

    #[test]
    fn positions_split_into_lists() {
        assert_eq!(position(5), (1, 5));
        assert_eq!(position(LIST_SIZE), (2, 0));
    }
}
