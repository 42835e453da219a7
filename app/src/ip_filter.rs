//! Allow and deny lists of client addresses, shared by the server (which
//! applies one at accept) and the `ip_filter` layer (which applies one to a
//! branch).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Which client addresses may connect: allow and deny lists of addresses
/// and CIDR ranges, IPv4 and IPv6. Deny wins over allow; an empty allow
/// list allows every address not denied. An IPv4 address mapped into IPv6
/// (`::ffff:10.0.0.1`) is judged as the IPv4 address it is.
///
/// ```
/// use lath::app::IpFilter;
/// let filter = IpFilter::new()
///     .allow("10.0.0.0/8").unwrap()
///     .deny("10.6.6.6").unwrap();
/// assert!(filter.allows("10.1.2.3".parse().unwrap()));
/// assert!(!filter.allows("10.6.6.6".parse().unwrap())); // deny wins
/// assert!(!filter.allows("192.0.2.1".parse().unwrap())); // not allowed
/// assert!(IpFilter::new().allows("192.0.2.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpFilter {
    allow: Vec<IpNet>,
    deny: Vec<IpNet>,
}

/// A list entry that is neither an address nor a CIDR range.
///
/// ```
/// use lath::app::IpFilter;
/// let error = IpFilter::new().deny("10.0.0.0/33").unwrap_err();
/// assert!(error.to_string().contains("10.0.0.0/33"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRange(String);

impl fmt::Display for BadRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an IP address or CIDR range: {}", self.0)
    }
}

impl std::error::Error for BadRange {}

/// `text` as a range: `10.0.0.0/8`, `2001:db8::/32`, or one address.
fn range(text: &str) -> Result<IpNet, BadRange> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map_err(|_| BadRange(text.to_owned()))
}

/// The address as the lists judge it: IPv4 mapped into IPv6 is IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

impl IpFilter {
    /// Allows every address.
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// assert!(IpFilter::new().is_empty());
    /// ```
    pub fn new() -> IpFilter {
        IpFilter::default()
    }

    /// Adds an address or CIDR range to the allow list: once it has one,
    /// only addresses in it may connect.
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// let office = IpFilter::new().allow("2001:db8:1::/48").unwrap();
    /// assert!(office.allows("2001:db8:1::7".parse().unwrap()));
    /// assert!(!office.allows("2001:db8:2::7".parse().unwrap()));
    /// ```
    pub fn allow(mut self, range_or_address: &str) -> Result<IpFilter, BadRange> {
        self.allow.push(range(range_or_address)?);
        Ok(self)
    }

    /// Adds an address or CIDR range to the deny list, which wins over the
    /// allow list.
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// let filter = IpFilter::new().deny("192.0.2.0/24").unwrap();
    /// assert!(!filter.allows("192.0.2.99".parse().unwrap()));
    /// assert!(!filter.allows("::ffff:192.0.2.99".parse().unwrap())); // mapped
    /// assert!(filter.allows("198.51.100.1".parse().unwrap()));
    /// ```
    pub fn deny(mut self, range_or_address: &str) -> Result<IpFilter, BadRange> {
        self.deny.push(range(range_or_address)?);
        Ok(self)
    }

    /// May `ip` connect?
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// let local = IpFilter::new().allow("127.0.0.0/8").unwrap().allow("::1").unwrap();
    /// assert!(local.allows("127.0.0.2".parse().unwrap()));
    /// assert!(local.allows("::1".parse().unwrap()));
    /// assert!(!local.allows("10.0.0.1".parse().unwrap()));
    /// ```
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if self.deny.iter().any(|net| net.contains(&ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(&ip))
    }

    /// Does it let every address through (no lists at all)?
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// assert!(!IpFilter::new().deny("10.0.0.1").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Does it need an address to say yes (it has an allow list)? A
    /// request whose client address is unknown is then refused.
    ///
    /// ```
    /// use lath::app::IpFilter;
    /// assert!(IpFilter::new().allow("10.0.0.0/8").unwrap().requires_address());
    /// assert!(!IpFilter::new().deny("10.0.0.0/8").unwrap().requires_address());
    /// ```
    pub fn requires_address(&self) -> bool {
        !self.allow.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row: whether an address passes a filter that allows 10.0.0.0/8
    /// and 2001:db8::/32 but denies 10.0.0.0/24 and 2001:db8::bad.
    fn check(rule: &str, ip: &str, allowed: bool) {
        let filter = IpFilter::new()
            .allow("10.0.0.0/8")
            .unwrap()
            .allow("2001:db8::/32")
            .unwrap()
            .deny("10.0.0.0/24")
            .unwrap()
            .deny("2001:db8::bad")
            .unwrap();
        assert_eq!(filter.allows(ip.parse().unwrap()), allowed, "{rule}");
    }

    mod deny_wins_over_allow {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            in_the_allow_range: "in the allow range" => ("10.9.9.9", true);
            deny_wins_over_allow: "deny wins over allow" => ("10.0.0.7", false);
            outside_every_range: "outside every range" => ("172.16.0.1", false);
            ipv6_in_range: "IPv6 in range" => ("2001:db8::1", true);
            ipv6_address_denied: "an IPv6 address denied" => ("2001:db8::bad", false);
            ipv6_outside: "IPv6 outside" => ("2001:db9::1", false);
            ipv4_mapped_is_ipv4: "IPv4 mapped into IPv6 is IPv4" => ("::ffff:10.9.9.9", true);
            mapped_and_denied: "mapped and denied" => ("::ffff:10.0.0.7", false);
        });
    }

    #[test]
    fn an_empty_allow_list_allows_all() {
        let deny_only = IpFilter::new().deny("192.0.2.1").unwrap();
        assert!(deny_only.allows("192.0.2.2".parse().unwrap()));
        assert!(!deny_only.allows("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in [
            "",
            "10.0.0.0/33",
            "not-an-ip",
            "10.0.0",
            "::g",
            "10.0.0.0/8/8",
        ] {
            assert!(IpFilter::new().allow(bad).is_err(), "{bad:?}");
        }
        assert!(
            IpFilter::new().deny(" 10.0.0.1 ").is_ok(),
            "spaces are trimmed"
        );
    }
}
