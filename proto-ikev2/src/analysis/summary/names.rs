//! Names as the summary shows them; transforms, proposals and traffic selectors are written
//! by their `Display` (the same in every command).

use super::*;

/// Summarises one proposal (`position` is 1-based): its transforms named and grouped by type,
/// its `Display` as `text`.
pub fn summarize_proposal(p: &Proposal, position: usize) -> ProposalSummary {
    let TransformsByType {
        encr,
        prf,
        integ,
        ke,
        addke,
        esn,
        other,
    } = p.transforms_by_type();
    ProposalSummary {
        number: p.proposal_num,
        position,
        protocol: p.protocol_id.to_string(),
        spi: (!p.spi.is_empty()).then(|| hex::encode(&p.spi)),
        encr,
        prf,
        integ,
        ke,
        addke,
        esn,
        other,
        text: p.to_string(),
        transforms: p
            .transforms
            .iter()
            .map(|t| TransformEntry {
                transform_type: t.transform_type,
                id: t.transform_id.value(),
                key_length: t.key_length(),
                name: t.to_string(),
            })
            .collect(),
    }
}

pub(super) fn exchange_name(x: ExchangeType) -> String {
    x.to_string()
}

pub(super) fn notify_name(t: NotifyType) -> String {
    t.to_string()
}

pub(super) fn side_of(from_initiator: bool) -> Side {
    if from_initiator {
        Side::Initiator
    } else {
        Side::Responder
    }
}

pub(super) fn ke_name(g: KeId) -> String {
    Transform::name_of(TransformType::KE, g.0, None)
}
