//! The status page in headless Chromium (Debian package `chromium`): after its JavaScript
//! has polled `/status`, the DOM shows every chain with a live height and the bridges. Then
//! `localnet up` is killed with SIGKILL and its children must die with it.

mod common;

use std::{path::PathBuf, process::Command, time::Duration};

use common::*;

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!(
        "no chromium in PATH: install Debian's chromium (apt-get install chromium) or set CHROMIUM"
    );
}

/// The text of the `<td data-field="{field}">` in the row `<tr data-key="{key}">` of table `table`.
fn cell(dom: &str, table: &str, key: &str, field: &str) -> Option<String> {
    let t = &dom[dom.find(&format!("<table id=\"{table}\">"))?..];
    let t = &t[..t.find("</table>")?];
    let row = &t[t.find(&format!("<tr data-key=\"{key}\">"))?..];
    let row = &row[..row.find("</tr>")?];
    let open = format!("data-field=\"{field}\">");
    let c = &row[row.find(&open)? + open.len()..];
    Some(c[..c.find("</td>")?].to_string())
}

#[test]
fn status_page_shows_chains_and_heights_and_children_die_with_up() {
    let browser = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("net");
    let mut up = Up::start(&home, &["--vms", "evm,move"]);
    let url = up.status_url();

    // Heights the page must reach at least.
    let s: serde_json::Value = serde_json::from_str(&http_get(&format!("{url}/status"))).unwrap();
    let floor = |v: &serde_json::Value| v.as_u64().unwrap();
    let (l1_min, evm_min, move_min) = (
        floor(&s["l1"]["height"]),
        floor(&s["minitias"][0]["chain"]["height"]),
        floor(&s["minitias"][1]["chain"]["height"]),
    );

    let profile = tmp.path().join("chromium-profile");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=5000",
            "--dump-dom",
            &format!("{url}/"),
        ])
        .output()
        .expect("cannot run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("DEV ONLY"), "{dom}");
    assert!(
        dom.contains("data-healthy=\"true\""),
        "page not healthy:\n{dom}"
    );
    for chain_id in ["localnet-l1-1", "localnet-evm-1", "localnet-move-1"] {
        assert!(dom.contains(chain_id), "{chain_id} missing:\n{dom}");
    }
    for (key, min) in [("l1", l1_min), ("evm", evm_min), ("move", move_min)] {
        let h: u64 = cell(&dom, "chains", key, "height")
            .unwrap_or_else(|| panic!("no height for {key}:\n{dom}"))
            .parse()
            .unwrap_or_else(|_| panic!("height of {key} is not a number:\n{dom}"));
        assert!(h >= min && h > 0, "{key} height {h} < {min}");
    }
    let da: u64 = cell(&dom, "chains", "da", "height")
        .unwrap()
        .parse()
        .unwrap();
    assert!(da > 0);
    let m = up.manifest();
    for (i, key) in ["evm", "move"].iter().enumerate() {
        assert_eq!(
            cell(&dom, "bridges", key, "bridge_id").unwrap(),
            m["minitias"][i]["bridge_id"].to_string()
        );
        // The bots' own status, as the bots table shows it: a challenger that answers
        // (a number of checked outputs, no mismatch) and a batcher with a lag figure.
        let checked = cell(&dom, "bots", key, "outputs_checked")
            .unwrap_or_else(|| panic!("no bots row for {key}:\n{dom}"));
        assert!(
            checked.parse::<u64>().is_ok(),
            "{key}: outputs checked {checked:?}"
        );
        assert_eq!(cell(&dom, "bots", key, "mismatches").as_deref(), Some("0"));
        let lag = cell(&dom, "bots", key, "batch_lag").unwrap();
        assert!(lag.parse::<u64>().is_ok(), "{key}: batch lag {lag:?}");
    }

    // kill -9 of up: the parent-death signal takes every child down.
    let pids = up.component_pids();
    // da, l1, evm, move and each minitia's batcher, executor and challenger.
    assert_eq!(pids.len(), 10, "{pids:?}");
    up.child.kill().unwrap();
    up.child.wait().unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || pids
            .iter()
            .all(|(_, p)| !alive(*p))),
        "children outlived up: {pids:?}"
    );
    // The stale pid files do not confuse the next commands.
    let (ok, _, err) = run(&["down", "--home", home.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(processes_mentioning(home.to_str().unwrap()), vec![]);
}
