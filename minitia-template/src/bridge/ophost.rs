//! The L1 side's wire names the bridge bots and the CLI use: OPinit's `opinit.ophost.v1`
//! message type URLs and query paths (the messages are [`minitia_chain::opinit`]'s), so the
//! same executor drives our embedded L1 or a remote Initia L1.

pub use minitia_chain::opinit::*;

/// `MsgCreateBridge`.
pub const MSG_CREATE_BRIDGE: &str = "/opinit.ophost.v1.MsgCreateBridge";
/// `MsgProposeOutput`.
pub const MSG_PROPOSE_OUTPUT: &str = "/opinit.ophost.v1.MsgProposeOutput";
/// `MsgDeleteOutput` (the bridge's challenger deletes an unfinalized output and every later one).
pub const MSG_DELETE_OUTPUT: &str = "/opinit.ophost.v1.MsgDeleteOutput";
/// `MsgInitiateTokenDeposit`.
pub const MSG_INITIATE_DEPOSIT: &str = "/opinit.ophost.v1.MsgInitiateTokenDeposit";
/// `MsgFinalizeTokenWithdrawal`.
pub const MSG_FINALIZE_WITHDRAWAL: &str = "/opinit.ophost.v1.MsgFinalizeTokenWithdrawal";
/// `Query/Bridge`.
pub const Q_BRIDGE: &str = "/opinit.ophost.v1.Query/Bridge";
/// `Query/OutputProposal`.
pub const Q_OUTPUT_PROPOSAL: &str = "/opinit.ophost.v1.Query/OutputProposal";
/// `Query/OutputProposals`.
pub const Q_OUTPUT_PROPOSALS: &str = "/opinit.ophost.v1.Query/OutputProposals";
/// `Query/NextL1Sequence`.
pub const Q_NEXT_L1_SEQUENCE: &str = "/opinit.ophost.v1.Query/NextL1Sequence";

/// Every output proposal of `bridge_id`, in index order, following the L1's `next_key`
/// pages (an L1 answers 100 per page by default, so one unpaged query misses the rest).
pub async fn all_output_proposals(
    l1: &minitia_chain::client::RemoteChain,
    bridge_id: u64,
) -> Result<Vec<QueryOutputProposalResponse>, minitia_core::L1Error> {
    let mut out = Vec::new();
    let mut key = Vec::new();
    loop {
        let r: QueryOutputProposalsResponse = l1
            .query_proto(
                Q_OUTPUT_PROPOSALS,
                &QueryBridgePageRequest {
                    bridge_id,
                    pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                        key: key.clone(),
                        limit: 1_000,
                        ..Default::default()
                    }),
                },
                None,
            )
            .await?;
        out.extend(r.output_proposals);
        match r.pagination {
            Some(p) if !p.next_key.is_empty() && p.next_key != key => key = p.next_key,
            _ => break,
        }
    }
    out.sort_by_key(|o| o.output_index);
    Ok(out)
}
