//! Plain-words explanations of IKEv2 error notifications (RFC 7296 §3.10.1 and later RFCs) and
//! of the other failures a capture can show, each with what to check. [`crate::analysis::summary`] uses
//! them and adds what the capture says (offers, groups, frames).
//!
//! The texts say what the notify *means* per its RFC; the `check` texts name the usual causes,
//! in the order an operator would look at them, with strongSwan's option names where they help
//! (`proposals`, `esp_proposals`, `local_ts`…) since it is the most common open-source peer.

use crate::wire::registry::{ExchangeType, NotifyType};

/// An explanation: what happened, and what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// What the notification means, in plain words.
    pub meaning: &'static str,
    /// What to check.
    pub check: &'static str,
}

const fn e(meaning: &'static str, check: &'static str) -> Explanation {
    Explanation { meaning, check }
}

/// The explanation of error notify `t` received in a response of `exchange` (or in an
/// INFORMATIONAL request). `None` for status types and unassigned error types (for those,
/// RFC 7296 §3.10.1 says an error in a response means the request failed entirely).
pub fn error_notify(t: NotifyType, exchange: ExchangeType) -> Option<Explanation> {
    let child_exchange =
        exchange == ExchangeType::IKE_AUTH || exchange == ExchangeType::CREATE_CHILD_SA;
    Some(match t.0 {
        1 => e(
            "the peer does not understand a payload the sender marked critical (the notify data names the payload type) and rejected the whole message",
            "which extension the payload belongs to (the type in the notify data) and whether the peer supports it; disable that feature on the sender or upgrade the peer",
        ),
        4 => e(
            "the peer received a message for an IKE SA whose SPI it does not know: it has deleted that IKE SA or restarted",
            "whether the peer restarted or timed the SA out (dead peer detection, lifetimes); the sender should start a new IKE SA",
        ),
        5 => e(
            "the peer does not speak the IKE major version of the message",
            "that both sides are configured for IKEv2 (e.g. strongSwan `version = 2`); the notify data holds the highest version the peer supports",
        ),
        7 => e(
            "the peer found the message malformed or not acceptable per the specification (RFC 7296 §3.10.1), and treats the exchange as failed",
            "decode the offending request with `ietfwg ikev2 decode` for structural problems; interoperability bugs between the two implementations; middleboxes that alter UDP payloads; the peer's log names the field",
        ),
        9 => e(
            "the message ID was outside the peer's window: the two sides' message ID counters are out of step (one side restarted, or messages were lost and the window was exceeded)",
            "restarts on either side and lost messages before this one; deleting the IKE SA and starting over resynchronises the counters",
        ),
        11 => e(
            "the peer received an IPsec (ESP/AH) packet or a request for a Child SA whose SPI it does not know (the SPI is in the notify): it already deleted that SA or restarted",
            "whether the peer deleted the Child SA (lifetime, rekey collision) or restarted; dead peer detection and INITIAL_CONTACT clean up stale SAs",
        ),
        14 if exchange == ExchangeType::IKE_SA_INIT => e(
            "the responder accepted none of the initiator's IKE SA proposals: there is no proposal in common",
            "compare the initiator's offered proposals (listed in this summary) with the responder's IKE proposals, which the capture cannot show (strongSwan `proposals =`, ipsec.conf `ike=`); every transform type (ENCR with key length, PRF, INTEG, KE group) needs a value both sides accept",
        ),
        14 if child_exchange => e(
            "the peer accepted none of the proposals for the Child SA (or, in CREATE_CHILD_SA, for the rekeyed SA)",
            "compare the ESP/AH proposals of both sides (strongSwan `esp_proposals`); in CREATE_CHILD_SA a PFS mismatch is the usual cause (a KE group offered by one side only); a peer that cannot install the SA in its kernel also answers this",
        ),
        14 => e(
            "the peer accepted none of the proposals offered",
            "compare the proposals configured on both sides",
        ),
        17 => e(
            "the responder wants a different key exchange method (Diffie-Hellman group) than the one in the KE payload; the notify data names the group it accepts, and the initiator is expected to retry with it",
            "put the group the responder wants first in the initiator's proposal (saves a round trip), or make sure the initiator offers it at all; in CREATE_CHILD_SA this is a PFS group mismatch",
        ),
        24 => e(
            "the peer could not authenticate the sender: the AUTH payload did not verify, or the identity or credentials are not accepted",
            "the pre-shared key on both sides (the same secret for this IDi/IDr pair); the identities (IDi/IDr must match what the peer expects as remote identity); certificates, their CA and revocation status; EAP credentials; the peer's log gives the exact reason",
        ),
        34 => e(
            "the responder only accepts traffic selectors for a single pair of addresses (the packet that triggered the SA), not the ranges proposed",
            "narrow the initiator's traffic selectors (local_ts/remote_ts, leftsubnet/rightsubnet) or configure the responder to accept the ranges",
        ),
        35 => e(
            "the responder is unwilling to create more Child SAs on this IKE SA",
            "the responder's limit on Child SAs per IKE SA; create a new IKE SA instead",
        ),
        36 => e(
            "the responder could not assign the internal (virtual) address the initiator asked for in its CP(CFG_REQUEST)",
            "the responder's address pool: configured for this connection/identity, not exhausted, and of the address family requested",
        ),
        37 => e(
            "the responder requires the initiator to ask for configuration (a CP(CFG_REQUEST) payload, e.g. a virtual IP) and the request had none",
            "enable the virtual IP / configuration request on the initiator (strongSwan `vips = 0.0.0.0`), or stop requiring it on the responder",
        ),
        38 => e(
            "the traffic selectors proposed (TSi/TSr) are not acceptable to the peer's policy: none of the proposed subnets, protocols or ports fit its configured ones",
            "local_ts/remote_ts (leftsubnet/rightsubnet) on both sides must mirror each other (one side's local is the other's remote); protocol and port restrictions; the IKE SA itself is still established",
        ),
        39 => e(
            "a packet arrived on a Child SA with addresses outside the SA's traffic selectors",
            "the traffic selectors of that Child SA and the routing that sent the packet into it",
        ),
        40 => e(
            "MOBIKE (RFC 4555): the peer does not accept the new addresses of the update",
            "the addresses the MOBIKE update moved to and the peer's policy for them",
        ),
        41 => e(
            "MOBIKE (RFC 4555): the peer detected a NAT that its policy forbids (NO_NATS_ALLOWED)",
            "the path between the peers, or allow NAT on the peer",
        ),
        43 => e(
            "the peer is temporarily unable to do this exchange, usually because it is itself rekeying or deleting the same SA (a simultaneous rekey, RFC 7296 §2.25); the sender should retry later",
            "nothing, if a later retry succeeds; otherwise rekey timing (both sides rekeying at the same moment: strongSwan randomises with `rand_time`)",
        ),
        44 => e(
            "the peer has no Child SA with the SPI named in the rekey request (REKEY_SA): it has already deleted it (a rekey/delete collision, RFC 7296 §2.25)",
            "rekey and lifetime timing on both sides; a new Child SA is created instead of rekeying",
        ),
        46 => e(
            "the peer authenticated the sender but does not authorise it for this group or resource (G-IKEv2)",
            "the authorisation policy for this identity on the peer",
        ),
        47 => e(
            "the peer has no state for the SA this request refers to (RFC 9593)",
            "whether the peer deleted the SA or restarted",
        ),
        _ => return None,
    })
}

/// Text for a COOKIE (16390) in an IKE_SA_INIT response: DoS protection (RFC 7296 §2.6).
pub const COOKIE: Explanation = e(
    "the responder keeps no state for the request and asks the initiator to repeat IKE_SA_INIT with N(COOKIE) as the first payload, proving that it receives packets at its address (RFC 7296 §2.6)",
    "nothing if the retry follows; many half-open IKE SAs at the responder (load, or an attack) trigger it (strongSwan `cookie_threshold`)",
);

/// Text for REDIRECT (16407, RFC 5685).
pub const REDIRECT: Explanation = e(
    "the responder redirected the initiator to another gateway (RFC 5685), e.g. for load balancing",
    "that the initiator follows the redirect and that the new gateway is reachable",
);

/// Text for a request that was never answered.
pub const UNANSWERED: Explanation = e(
    "no response was seen",
    "reachability of UDP 500 and 4500 between the peers (firewalls, security groups, NAT devices that drop or do not forward 4500); the MTU: large IKE_AUTH messages (certificates) are fragmented by IP and fragments are often dropped — consider IKEv2 fragmentation (RFC 7383, strongSwan `fragmentation = yes`); whether the responder is running and configured for this peer (its log)",
);

/// Text for NO_PROPOSAL_CHOSEN in IKE_AUTH after the IKE SA proposals matched.
pub const CHILD_SA_REFUSED: Explanation = e(
    "the IKE SA was established but the CHILD_SA could not be created",
    "the responder's kernel/IPsec stack may have refused the SA (check kernel modules/xfrm, e.g. strongSwan 'unable to install inbound and outbound IPsec SA (SAD)' in the responder log), or the CHILD_SA proposals/traffic selectors don't match (compare ESP proposals: strongSwan `esp_proposals`)",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_texts_and_statuses_do_not() {
        for t in [
            1u16, 4, 5, 7, 9, 11, 14, 17, 24, 34, 35, 36, 37, 38, 39, 43, 44,
        ] {
            let x = error_notify(NotifyType(t), ExchangeType::IKE_AUTH);
            assert!(
                x.is_some_and(|x| !x.meaning.is_empty() && !x.check.is_empty()),
                "{t}"
            );
        }
        assert!(error_notify(NotifyType(16390), ExchangeType::IKE_SA_INIT).is_none());
        assert!(error_notify(NotifyType(8200), ExchangeType::IKE_SA_INIT).is_none());
    }

    #[test]
    fn no_proposal_chosen_depends_on_the_exchange() {
        let init = error_notify(NotifyType(14), ExchangeType::IKE_SA_INIT).unwrap();
        assert!(init.meaning.contains("no proposal in common"));
        let child = error_notify(NotifyType(14), ExchangeType::CREATE_CHILD_SA).unwrap();
        assert!(child.check.contains("PFS"));
        assert!(CHILD_SA_REFUSED
            .check
            .contains("unable to install inbound and outbound IPsec SA (SAD)"));
    }
}
