//! The JSON body of a request: serialised once (the bytes signed are the bytes sent), with
//! `merchant_id` written as the merchant chose (**D7**).

use bytes::Bytes;
use serde::Serialize;

use crate::error::RequestError;
use crate::ids::{MerchantId, MerchantIdFormat};
use crate::text::Excerpt;

/// Serialises a body once.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Bytes, RequestError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|error| RequestError::Encode {
            reason: error.to_string(),
        })
}

/// `merchant_id` as a JSON string or number (D7).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub(crate) enum MerchantIdJson<'a> {
    Text(&'a str),
    Number(u64),
}

impl<'a> MerchantIdJson<'a> {
    pub(crate) fn new(id: &'a MerchantId, format: MerchantIdFormat) -> Result<Self, RequestError> {
        match format {
            MerchantIdFormat::String => Ok(Self::Text(id.as_str())),
            MerchantIdFormat::Number => {
                id.as_number()
                    .map(Self::Number)
                    .ok_or_else(|| RequestError::MerchantIdNotNumeric {
                        merchant_id: Excerpt(id.as_str()).to_string(),
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_id_as_a_string_or_a_number() {
        let id = MerchantId::new("42").unwrap();
        let text = MerchantIdJson::new(&id, MerchantIdFormat::String).unwrap();
        assert_eq!(to_json(&text).unwrap().as_ref(), br#""42""#);
        let number = MerchantIdJson::new(&id, MerchantIdFormat::Number).unwrap();
        assert_eq!(to_json(&number).unwrap().as_ref(), b"42");
        let long = MerchantId::new("m".repeat(200)).unwrap();
        match MerchantIdJson::new(&long, MerchantIdFormat::Number) {
            Err(RequestError::MerchantIdNotNumeric { merchant_id }) => {
                assert_eq!(merchant_id, Excerpt(long.as_str()).to_string());
            }
            other => panic!("{other:?}"),
        }
    }
}
