//! Names as the summary shows them; transforms, proposals and traffic selectors are written
//! by their `Display` (the same in every command).

use super::*;

/// Summarises one proposal (`position` is 1-based): its transforms named and grouped by type,
/// its `Display` as `text`. Each transform's name is written once, without `core::fmt`
/// ([`Transform::put_name`]), and shared by the groups and the transform list; the text is
/// [`Proposal::put_text`].
pub fn summarize_proposal(p: &Proposal, position: usize) -> ProposalSummary {
    let transforms: Vec<TransformEntry> = p
        .transforms
        .iter()
        .map(|t| {
            let (id, key_length) = (t.transform_id.value(), t.key_length());
            let mut name = String::with_capacity(24);
            Transform::put_name(&mut name, t.transform_type, id, key_length);
            TransformEntry {
                transform_type: t.transform_type,
                id,
                key_length,
                name,
            }
        })
        .collect();
    let mut g = TransformsByType::default();
    for t in &transforms {
        g.push(t.transform_type, t.name.clone());
    }
    let mut text =
        String::with_capacity(16 + transforms.iter().map(|t| t.name.len() + 3).sum::<usize>());
    p.put_text(&mut text);
    let TransformsByType {
        encr,
        prf,
        integ,
        ke,
        addke,
        esn,
        other,
    } = g;
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
        text,
        transforms,
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
