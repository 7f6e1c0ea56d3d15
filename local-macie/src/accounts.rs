//! Several accounts and Regions behind one server, for organization views: a request reaches
//! the account its access key belongs to and the Region it is signed for.
//!
//! AWS encodes the account in an access key id (what `sts:GetAccessKeyInfo` reads), and moto's
//! STS issues keys with the same encoding: after the four-letter prefix, eight base32
//! characters hold `account / 2 + 549755813888` and the next character's half of the alphabet
//! holds `account % 2`. A request whose key does not decode (the tests' `AKIDLOCAL`), or
//! decodes to the server's own account, reaches the server's own state in any Region, as
//! before; one of another account reaches that account's state in that Region, and where
//! there is none Macie answers as for an account that has not enabled it.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::error::{ApiError, ErrorKind};
use crate::state::State;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ACCOUNT_OFFSET: u64 = 549_755_813_888;

/// The server's accounts: its own, and any others by account and Region.
pub struct Macie {
    pub own: State,
    others: BTreeMap<(String, String), State>,
    /// Milliseconds each answer of an operation is held back (`/_local/latency`), once that
    /// many of its calls were answered: a slow Macie, for tests that need a run to be caught
    /// in the middle, or at one exact call.
    pub latency: BTreeMap<String, (u64, u64)>,
}

impl Macie {
    pub fn new(own: State) -> Macie {
        Macie {
            own,
            others: BTreeMap::new(),
            latency: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) the state of another account and Region.
    pub fn add(&mut self, st: State) {
        self.others
            .insert((st.account.clone(), st.region.clone()), st);
    }

    /// The state a request signed with `authorization` reaches.
    pub fn select(&mut self, authorization: Option<&str>) -> Result<&mut State, ApiError> {
        let Some((key, region)) = authorization.and_then(signed_with) else {
            return Ok(&mut self.own);
        };
        match account_of_key(key) {
            Some(account) if account != self.own.account => self
                .others
                .get_mut(&(account.clone(), region.to_string()))
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::AccessDenied,
                        format!(
                            "Macie is not enabled for account {account} in {region}; enable it first"
                        ),
                    )
                }),
            _ => Ok(&mut self.own),
        }
    }

    /// The state of `account` in `region` (the server's own when both are `None`), for the
    /// test controls.
    pub fn tenant(
        &mut self,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Result<&mut State, ApiError> {
        match (account, region) {
            (None, None) => Ok(&mut self.own),
            (Some(a), Some(r)) => self
                .others
                .get_mut(&(a.to_string(), r.to_string()))
                .ok_or_else(|| {
                    ApiError::validation(format!("no account {a} in {r} on this server"))
                }),
            _ => Err(ApiError::validation(
                "give both account and region, or neither (the server's own account)",
            )),
        }
    }

    /// Call counters: the server's own account, then each other account and Region.
    pub fn calls(&self) -> Value {
        let mut out = self.own.calls();
        let others: serde_json::Map<String, Value> = self
            .others
            .iter()
            .map(|((a, r), st)| (format!("{a}/{r}"), st.calls()["calls"].clone()))
            .collect();
        out["accounts"] = json!(others);
        out
    }

    pub fn reset_calls(&mut self) {
        self.own.reset_calls();
        for st in self.others.values_mut() {
            st.reset_calls();
        }
    }
}

/// The access key id and Region of a SigV4 `Authorization` header
/// (`... Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`).
fn signed_with(authorization: &str) -> Option<(&str, &str)> {
    let credential = authorization.split("Credential=").nth(1)?;
    let mut parts = credential.split('/');
    let key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    Some((key, region))
}

fn base32(c: u8) -> Option<u64> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u64)
}

/// The account an access key id belongs to, when it carries one.
pub fn account_of_key(key: &str) -> Option<String> {
    let b = key.as_bytes();
    if b.len() < 16 || !(key.starts_with("ASIA") || key.starts_with("AKIA")) {
        return None;
    }
    let mut n: u64 = 0;
    for c in &b[4..12] {
        n = n << 5 | base32(*c)?;
    }
    let half = n.checked_sub(ACCOUNT_OFFSET)?;
    let odd = base32(b[12])? >= 16;
    let account = half * 2 + u64::from(odd);
    (account < 1_000_000_000_000).then(|| format!("{account:012}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys moto's STS issued for roles in these accounts (its encoding is AWS's).
    #[test]
    fn keys_decode_to_their_accounts() {
        // 123456789012 / 2 + offset = 611484208394 -> base32 "RHNS2EQK", even -> A..P.
        fn encode(account: u64, middle: u8) -> String {
            let mut n = account / 2 + ACCOUNT_OFFSET;
            let mut chars = [0u8; 8];
            for c in chars.iter_mut().rev() {
                *c = ALPHABET[(n & 31) as usize];
                n >>= 5;
            }
            format!(
                "ASIA{}{}XXXXXXX",
                String::from_utf8(chars.to_vec()).unwrap(),
                middle as char
            )
        }
        for account in [123456789012u64, 111122223333, 999999999999, 1] {
            let middle = if account % 2 == 1 { b'Z' } else { b'C' };
            assert_eq!(
                account_of_key(&encode(account, middle)).as_deref(),
                Some(format!("{account:012}").as_str())
            );
        }
        assert_eq!(account_of_key("AKIDLOCAL"), None);
        assert_eq!(account_of_key("ASIA00000000000000000"), None);
    }

    #[test]
    fn a_request_reaches_its_account_and_region_or_is_refused() {
        let mut m = Macie::new(State::new("123456789012".into(), "us-east-1".into()));
        m.add(State::new("111122223333".into(), "eu-west-1".into()));
        let auth = |key: &str, region: &str| {
            format!("AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/macie2/aws4_request, SignedHeaders=host, Signature=0")
        };
        // 111122223333 is odd: middle character in the upper half.
        let key = {
            let mut n = 111122223333u64 / 2 + ACCOUNT_OFFSET;
            let mut chars = [0u8; 8];
            for c in chars.iter_mut().rev() {
                *c = ALPHABET[(n & 31) as usize];
                n >>= 5;
            }
            format!("ASIA{}ZABCDEFG", String::from_utf8(chars.to_vec()).unwrap())
        };
        assert_eq!(
            m.select(Some(&auth(&key, "eu-west-1"))).unwrap().account,
            "111122223333"
        );
        let refused = match m.select(Some(&auth(&key, "us-east-1"))) {
            Err(e) => e,
            Ok(st) => panic!("reached {} {}", st.account, st.region),
        };
        assert_eq!(refused.kind, ErrorKind::AccessDenied);
        assert!(refused.message.contains("111122223333 in us-east-1"));
        assert_eq!(
            m.select(Some(&auth("AKIDLOCAL", "ap-south-1")))
                .unwrap()
                .account,
            "123456789012"
        );
        assert_eq!(m.select(None).unwrap().account, "123456789012");
    }
}
