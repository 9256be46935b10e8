//! The RPC server driven by tendermint-rs' own `HttpClient` and `WebSocketClient`
//! (CompatMode::V0_38): every response must parse and round-trip the node's values.

mod rpc_common;

use std::time::Duration;

use futures::StreamExt;
use rpc_common::*;
use tendermint::abci::Code;
use tendermint_rpc::{
    client::CompatMode,
    event::EventData,
    query::{EventType, Query},
    Client, HttpClient, Order, Paging, SubscriptionClient, WebSocketClient,
};

fn http_client(url: &str) -> HttpClient {
    HttpClient::builder(url.parse().expect("url"))
        .compat_mode(CompatMode::V0_38)
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_reads_everything() {
    let srv = start(TestNode::new()).await;
    let node = srv.node.clone();
    let c = http_client(&srv.http_url());

    // status + CompatMode auto-detection as clients do it.
    let st = c.status().await.expect("status");
    assert_eq!(
        CompatMode::from_version(st.node_info.version.clone()).expect("version"),
        CompatMode::V0_38
    );
    assert_eq!(st.node_info.network.as_str(), CHAIN_ID);
    assert_eq!(st.sync_info.latest_block_height.value(), 2);
    assert_eq!(st.sync_info.latest_block_hash, node.blocks[1].block_id.hash);
    assert_eq!(
        st.sync_info.latest_app_hash,
        node.blocks[1].block.header.app_hash
    );
    assert_eq!(st.validator_info.pub_key, node.validator.pub_key);
    assert_eq!(st.validator_info.power.value(), 10);

    c.health().await.expect("health");

    let info = c.abci_info().await.expect("abci_info");
    assert_eq!(info.data, "minitia");
    assert_eq!(info.version, "1.2.3");
    assert_eq!(info.app_version, 1);
    assert_eq!(info.last_block_height.value(), 2);
    // CometBFT sends `last_block_app_hash` as base64 (CosmJS decodes it so); tendermint-rs
    // keeps the base64 text as the bytes of its AppHash.
    assert_eq!(
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            info.last_block_app_hash.as_bytes()
        )
        .expect("base64 app hash"),
        vec![0xA2; 32]
    );

    // abci_query: the client sends data as hex and height as a string.
    let q = c
        .abci_query(
            Some("/cosmos.bank.v1beta1.Query/Balance".into()),
            vec![0xab, 0xcd],
            Some(2u32.into()),
            false,
        )
        .await
        .expect("abci_query");
    assert_eq!(q.code, Code::Ok);
    assert_eq!(q.key, b"k");
    assert_eq!(q.value, [b"value-of:".as_slice(), &[0xab, 0xcd]].concat());
    assert_eq!(q.height.value(), 2);
    assert!(q.proof.is_none());
    assert_eq!(
        node.calls.lock().expect("lock").abci_query.last().cloned(),
        Some((
            "/cosmos.bank.v1beta1.Query/Balance".to_string(),
            vec![0xab, 0xcd],
            2,
            false
        ))
    );
    let failed = c
        .abci_query(Some("/fail".into()), vec![], None, false)
        .await
        .expect("abci_query /fail");
    assert_eq!(failed.code.value(), 6);
    assert_eq!(failed.codespace, "sdk");
    assert_eq!(failed.log, "unknown query path");
    let qp = c
        .abci_query(Some("/store/bank/key".into()), vec![1], None, true)
        .await
        .expect("abci_query prove");
    assert_eq!(qp.proof, Some(query_proof()));

    // blocks
    for h in 1u32..=2 {
        let b = c.block(h).await.expect("block");
        let want = &node.blocks[h as usize - 1];
        assert_eq!(b.block_id, want.block_id);
        assert_eq!(b.block, want.block, "block {h} round-trips");
    }
    let latest = c.latest_block().await.expect("latest block");
    assert_eq!(latest.block.header.height.value(), 2);
    assert_eq!(latest.block.data, vec![TX1.to_vec()]);
    assert_eq!(
        latest
            .block
            .last_commit
            .as_ref()
            .map(|c| c.signatures.len()),
        Some(2)
    );

    let by_hash = c
        .block_by_hash(node.blocks[0].block_id.hash)
        .await
        .expect("block_by_hash");
    assert_eq!(by_hash.block.as_ref(), Some(&node.blocks[0].block));
    assert_eq!(by_hash.block_id, node.blocks[0].block_id);
    let unknown = c
        .block_by_hash(sha256(b"nope"))
        .await
        .expect("block_by_hash unknown");
    assert!(unknown.block.is_none());

    // headers
    let hd = c.header(1u32).await.expect("header");
    assert_eq!(hd.header, node.blocks[0].block.header);
    let hd = c
        .header_by_hash(node.blocks[1].block_id.hash)
        .await
        .expect("header_by_hash");
    assert_eq!(hd.header.as_ref(), Some(&node.blocks[1].block.header));
    let hd = c
        .header_by_hash(sha256(b"nope"))
        .await
        .expect("header_by_hash unknown");
    assert!(hd.header.is_none());

    // block_results (0.38: finalize_block_events, app_hash)
    let r = c.block_results(2u32).await.expect("block_results");
    let want = &node.results[1];
    assert_eq!(r.height.value(), 2);
    assert_eq!(r.txs_results, want.txs_results);
    assert_eq!(r.finalize_block_events, want.finalize_block_events);
    assert_eq!(r.app_hash, want.app_hash);
    assert_eq!(r.validator_updates, want.validator_updates);
    assert_eq!(r.validator_updates.len(), 1);
    assert_eq!(r.consensus_param_updates, Some(consensus_params()));
    assert!(r.begin_block_events.is_none() && r.end_block_events.is_none());
    let r1 = c
        .latest_block_results()
        .await
        .expect("latest block_results");
    assert_eq!(r1.height.value(), 2);
    let r0 = c.block_results(1u32).await.expect("block_results 1");
    assert!(r0.txs_results.is_none() || r0.txs_results == Some(vec![]));

    // commit
    let cm = c.commit(1u32).await.expect("commit");
    assert_eq!(cm.signed_header.header, node.blocks[0].block.header);
    assert_eq!(cm.signed_header.commit.block_id, node.blocks[0].block_id);
    assert_eq!(cm.signed_header.commit.signatures.len(), 1);
    assert!(cm.canonical);
    let lc = c.latest_commit().await.expect("latest commit");
    assert_eq!(lc.signed_header.header.height.value(), 2);
    assert!(!lc.canonical);

    // validators
    let v = c.validators(2u32, Paging::All).await.expect("validators");
    assert_eq!(v.block_height.value(), 2);
    assert_eq!(v.validators, vec![node.validator.clone()]);
    assert_eq!(v.total, 1);

    // blockchain (newest first)
    let bc = c.blockchain(1u32, 2u32).await.expect("blockchain");
    assert_eq!(bc.last_height.value(), 2);
    let heights: Vec<u64> = bc
        .block_metas
        .iter()
        .map(|m| m.header.height.value())
        .collect();
    assert_eq!(heights, vec![2, 1]);
    assert_eq!(bc.block_metas[0].block_id, node.blocks[1].block_id);
    assert_eq!(bc.block_metas[0].num_txs, 1);
    assert_eq!(bc.block_metas[0].block_size, 1002);

    // genesis
    let g = c.genesis::<serde_json::Value>().await.expect("genesis");
    assert_eq!(g.chain_id.as_str(), CHAIN_ID);
    assert_eq!(g.initial_height, 1);
    assert_eq!(g.app_state["bank"]["denom"], "umin");
    let chunk = c.genesis_chunked(0).await.expect("genesis_chunked");
    assert_eq!((chunk.chunk, chunk.total), (0, 1));
    let doc: serde_json::Value = serde_json::from_slice(&chunk.data).expect("genesis chunk json");
    assert_eq!(doc, genesis_json());
    assert!(c.genesis_chunked(1).await.is_err());

    // tx (the client sends the hash as base64)
    let t = c.tx(sha256(TX1), false).await.expect("tx");
    assert_eq!(t.hash, sha256(TX1));
    assert_eq!(t.height.value(), 2);
    assert_eq!(t.index, 0);
    assert_eq!(t.tx, TX1);
    assert_eq!(t.tx_result, tx_result("init1abc", "100umin", 123_456));
    assert!(t.proof.is_none(), "no proof unless asked");
    let tp = c.tx(sha256(TX1), true).await.expect("tx with proof");
    assert_eq!(tp.proof, Some(tx1_proof()));
    let missing = c.tx(sha256(b"missing"), false).await;
    assert!(missing.is_err(), "unknown tx is an error");

    // tx_search
    let found = c
        .tx_search(
            Query::eq("transfer.recipient", "init1abc"),
            false,
            1,
            10,
            Order::Ascending,
        )
        .await
        .expect("tx_search");
    assert_eq!(found.total_count, 1);
    assert_eq!(found.txs.len(), 1);
    assert_eq!(found.txs[0].hash, sha256(TX1));
    assert_eq!(found.txs[0].tx_result.gas_used, 123_456);
    let with_type = c
        .tx_search(
            Query::from(EventType::Tx).and_gte("transfer.amount", 100u64),
            false,
            1,
            10,
            Order::Ascending,
        )
        .await
        .expect("tx_search tm.event");
    assert_eq!(with_type.total_count, 1);
    let none = c
        .tx_search(
            Query::eq("transfer.recipient", "init1zzz"),
            false,
            1,
            10,
            Order::Descending,
        )
        .await
        .expect("tx_search none");
    assert_eq!(none.total_count, 0);
    assert!(none.txs.is_empty());
    assert_eq!(
        node.calls.lock().expect("lock").tx_search.last().cloned(),
        Some(("transfer.recipient = 'init1zzz'".to_string(), 1, 10, true))
    );

    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_broadcasts() {
    let srv = start(TestNode::new()).await;
    let c = http_client(&srv.http_url());

    let sync = c
        .broadcast_tx_sync(b"tx-sync".to_vec())
        .await
        .expect("sync");
    assert_eq!(sync.code, Code::Ok);
    assert_eq!(sync.hash, sha256(b"tx-sync"));

    let bad = c
        .broadcast_tx_sync(b"bad-tx".to_vec())
        .await
        .expect("sync bad");
    assert_eq!(bad.code.value(), 13);
    assert_eq!(bad.codespace, "sdk");
    assert_eq!(bad.log, "insufficient fee");

    let a = c
        .broadcast_tx_async(b"tx-async".to_vec())
        .await
        .expect("async");
    assert_eq!(a.hash, sha256(b"tx-async"));

    let cm = c
        .broadcast_tx_commit(TX_NEW.to_vec())
        .await
        .expect("commit");
    assert_eq!(cm.hash, sha256(TX_NEW));
    assert_eq!(cm.height.value(), 3);
    assert_eq!(cm.check_tx.code, Code::Ok);
    assert_eq!(cm.tx_result, tx_result("init1xyz", "7umin", 5_000));

    let cm_bad = c
        .broadcast_tx_commit(b"bad-commit".to_vec())
        .await
        .expect("commit bad");
    assert_eq!(cm_bad.check_tx.code.value(), 13);
    assert_eq!(cm_bad.check_tx.log, "insufficient fee");
    assert_eq!(cm_bad.height.value(), 0);

    let submitted = srv.node.calls.lock().expect("lock").submitted.clone();
    assert_eq!(
        submitted,
        vec![
            b"tx-sync".to_vec(),
            b"bad-tx".to_vec(),
            b"tx-async".to_vec(),
            TX_NEW.to_vec(),
            b"bad-commit".to_vec()
        ]
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_client_subscribes() {
    let srv = start(TestNode::new()).await;
    let node = srv.node.clone();
    let (client, driver) = WebSocketClient::builder(srv.ws_url().parse().expect("ws url"))
        .compat_mode(CompatMode::V0_38)
        .build()
        .await
        .expect("ws connect");
    let driver = tokio::spawn(driver.run());

    // Plain calls work over the websocket too.
    let st = client.status().await.expect("status over ws");
    assert_eq!(st.sync_info.latest_block_height.value(), 2);

    let mut txs = client
        .subscribe(Query::from(EventType::Tx).and_eq("transfer.recipient", "init1xyz"))
        .await
        .expect("subscribe tx");
    let mut other = client
        .subscribe(Query::from(EventType::Tx).and_eq("transfer.recipient", "init1nobody"))
        .await
        .expect("subscribe other");
    let mut blocks = client
        .subscribe(Query::from(EventType::NewBlock))
        .await
        .expect("subscribe blocks");

    // A tx that matches the first query only.
    node.events
        .send(node.tx_event(TX_NEW, 3, "init1xyz"))
        .expect("publish tx");
    let ev = tokio::time::timeout(Duration::from_secs(5), txs.next())
        .await
        .expect("tx event in time")
        .expect("stream open")
        .expect("event ok");
    assert_eq!(
        ev.query,
        "tm.event = 'Tx' AND transfer.recipient = 'init1xyz'"
    );
    match &ev.data {
        EventData::Tx { tx_result } => {
            assert_eq!(tx_result.height, 3);
            // CometBFT omits a zero index in events.
            assert_eq!(tx_result.index, None);
            assert_eq!(tx_result.tx, TX_NEW);
            assert_eq!(tx_result.result.gas_used.as_deref(), Some("5000"));
            assert_eq!(tx_result.result.gas_wanted.as_deref(), Some("200000"));
            assert_eq!(
                tx_result.result.events,
                tx_result_events("init1xyz", "7umin")
            );
        }
        other => panic!("expected a Tx event, got {other:?}"),
    }
    let events = ev.events.expect("events map");
    assert_eq!(events["tm.event"], vec!["Tx".to_string()]);
    assert_eq!(
        events["tx.hash"],
        vec![hex::encode_upper(sha256(TX_NEW).as_bytes())]
    );
    assert_eq!(events["tx.height"], vec!["3".to_string()]);
    assert_eq!(events["transfer.recipient"], vec!["init1xyz".to_string()]);

    // A new block.
    node.events
        .send(minitia_chain::rpc::NodeEvent::NewBlock {
            block: Box::new(node.blocks[1].block.clone()),
            results: Box::new(node.results[1].clone()),
        })
        .expect("publish block");
    let ev = tokio::time::timeout(Duration::from_secs(5), blocks.next())
        .await
        .expect("block event in time")
        .expect("stream open")
        .expect("event ok");
    assert_eq!(ev.query, "tm.event = 'NewBlock'");
    match ev.data {
        EventData::NewBlock {
            block,
            block_id,
            result_finalize_block,
        } => {
            assert_eq!(block.as_deref(), Some(&node.blocks[1].block));
            assert_eq!(block_id, node.blocks[1].block_id);
            let fb = result_finalize_block.expect("result_finalize_block");
            assert_eq!(fb.events, node.results[1].finalize_block_events);
            assert_eq!(
                Some(fb.tx_results),
                node.results[1].txs_results.clone(),
                "tx results in the NewBlock event"
            );
            assert_eq!(fb.app_hash, node.results[1].app_hash);
        }
        other => panic!("expected NewBlock, got {other:?}"),
    }
    let events = ev.events.expect("events map");
    assert_eq!(events["mint.amount"], vec!["1000umin".to_string()]);

    // The non-matching subscription got nothing.
    let nothing = tokio::time::timeout(Duration::from_millis(300), other.next()).await;
    assert!(
        nothing.is_err(),
        "non-matching query must not receive events"
    );

    client.close().expect("close");
    let _ = tokio::time::timeout(Duration::from_secs(5), driver).await;
    srv.stop().await;
}

fn tx_result_events(recipient: &str, amount: &str) -> Vec<tendermint::abci::Event> {
    tx_result(recipient, amount, 0).events
}
