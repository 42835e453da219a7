//! Signed cookies: an HMAC-SHA256 of the server's secret, so a client can
//! neither forge nor alter them.

use std::fmt;

use hmac::{Hmac, Mac};
use lath_app::Request;
use sha2::Sha256;

use crate::RequestExt;

/// The shortest secret a [`Signer`] accepts, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// A secret shorter than [`MIN_SECRET_LEN`].
///
/// ```
/// use lath::layers::{Signer, SecretTooShort};
/// assert_eq!(Signer::new(b"short").unwrap_err(), SecretTooShort(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretTooShort(pub usize);

impl fmt::Display for SecretTooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the signing secret has {} bytes; at least {MIN_SECRET_LEN} are needed",
            self.0
        )
    }
}

impl std::error::Error for SecretTooShort {}

/// Signs and verifies values with HMAC-SHA256 of a server secret.
///
/// ```
/// use lath::layers::Signer;
/// assert!(Signer::new(b"too short").is_err());
/// let signer = Signer::new(&[7u8; 32]).unwrap();
/// let signed = signer.sign("user", "ann");
/// assert_eq!(signer.verify("user", &signed).as_deref(), Some("ann"));
/// assert_eq!(signer.verify("user", &signed.replace("ann", "bob")), None);
/// ```
#[derive(Clone)]
pub struct Signer {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// A signer for `secret`; secrets shorter than 32 bytes are refused.
    ///
    /// ```
    /// use lath::layers::Signer;
    /// assert!(Signer::new(&[0u8; 32]).is_ok());
    /// assert!(Signer::new(&[0u8; 16]).is_err());
    /// ```
    pub fn new(secret: &[u8]) -> Result<Signer, SecretTooShort> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(SecretTooShort(secret.len()));
        }
        let mac =
            Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SecretTooShort(secret.len()))?;
        Ok(Signer { mac })
    }

    fn tag(&self, name: &str, value: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        // The name is signed too, so a value cannot move to another cookie.
        mac.update(name.as_bytes());
        mac.update(b"=");
        mac.update(value.as_bytes());
        mac
    }

    /// `value.signature`, the signature in unpadded base64url.
    ///
    /// ```
    /// use lath::layers::Signer;
    /// let signer = Signer::new(&[3u8; 32]).unwrap();
    /// let signed = signer.sign("user", "ada");
    /// assert!(signed.starts_with("ada."));
    /// assert_eq!(signer.verify("user", &signed).as_deref(), Some("ada"));
    /// ```
    pub fn sign(&self, name: &str, value: &str) -> String {
        let tag = self.tag(name, value).finalize().into_bytes();
        format!("{value}.{}", base64url(&tag))
    }

    /// The value of a signed string, if its signature holds (compared in
    /// constant time); `None` for a tampered or unsigned one.
    ///
    /// ```
    /// use lath::layers::Signer;
    /// let signer = Signer::new(&[3u8; 32]).unwrap();
    /// let signed = signer.sign("user", "ada");
    /// assert_eq!(signer.verify("admin", &signed), None); // moved to another name
    /// assert_eq!(signer.verify("user", &signed.replace("ada", "bob")), None); // tampered
    /// ```
    pub fn verify(&self, name: &str, signed: &str) -> Option<String> {
        let (value, signature) = signed.rsplit_once('.')?;
        let signature = base64url_decode(signature)?;
        self.tag(name, value).verify_slice(&signature).ok()?;
        Some(value.to_owned())
    }

    /// A fresh random value of 32 bytes, base64url: a good secret.
    ///
    /// ```
    /// use lath::layers::Signer;
    /// let (a, b) = (Signer::random(), Signer::random());
    /// assert_ne!(a, b);
    /// assert!(a.len() >= 32);
    /// ```
    pub fn random() -> String {
        crate::random::token()
    }
}

use crate::random::{base64url, ALPHABET};

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = buffer << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Reading signed cookies; set them with [`Cookie::signed_by`](crate::Cookie::signed_by).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{SignedCookies, Signer};
/// let signer = Signer::new(&[5u8; 32]).unwrap();
/// let cookie = format!("user={}", signer.sign("user", "ada"));
/// let app = handler(move |req: Request| {
///     let signer = signer.clone();
///     async move { req.signed_cookie("user", &signer).unwrap_or_else(|| "nobody".into()) }
/// });
/// let client = Client::new(app);
/// assert_eq!(client.get("/").header("Cookie", &cookie).send_blocking().unwrap().text(), "ada");
/// assert_eq!(client.get("/").header("Cookie", "user=ada").send_blocking().unwrap().text(), "nobody");
/// ```
pub trait SignedCookies {
    /// The verified value of signed cookie `name`; absent when missing,
    /// unsigned or tampered with.
    ///
    /// ```
    /// use lath::app::Request;
    /// use lath::layers::{SignedCookies, Signer};
    /// let signer = Signer::new(&[9u8; 32]).unwrap();
    /// let cookie = format!("theme={}", signer.sign("theme", "dark"));
    /// let req = Request::builder("GET", "/").header("Cookie", &cookie).build();
    /// assert_eq!(req.signed_cookie("theme", &signer).as_deref(), Some("dark"));
    /// ```
    fn signed_cookie(&self, name: &str, signer: &Signer) -> Option<String>;
}

impl SignedCookies for Request {
    fn signed_cookie(&self, name: &str, signer: &Signer) -> Option<String> {
        signer.verify(name, &self.cookie(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for n in 0..40 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64url_decode(&base64url(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64url(b"hi?"), "aGk_");
    }

    #[test]
    fn tampering_and_moving_fail() {
        let signer = Signer::new(&[1u8; 40]).unwrap();
        let signed = signer.sign("role", "user");
        assert_eq!(signer.verify("role", &signed).as_deref(), Some("user"));
        assert_eq!(
            signer.verify("other", &signed),
            None,
            "signed for another name"
        );
        assert_eq!(signer.verify("role", "user"), None, "unsigned");
        assert_eq!(
            signer.verify("role", &signed.replace("user", "admin")),
            None
        );
        let mut bad_sig = signed.clone();
        bad_sig.pop();
        assert_eq!(signer.verify("role", &bad_sig), None);
        assert_eq!(signer.verify("role", "user.!!!"), None);
        let other = Signer::new(&[2u8; 40]).unwrap();
        assert_eq!(other.verify("role", &signed), None, "another secret");
        assert_eq!(
            Signer::new(&[0u8; 31]).unwrap_err().to_string(),
            "the signing secret has 31 bytes; at least 32 are needed"
        );
    }
}
