//! The binary itself: help, and bad --db paths refused with a clear message and the file untouched.

use std::process::Command;

fn spendwatch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.env_remove("SPENDWATCH_DB").env_remove("RUST_LOG");
    c
}

#[test]
fn help_teaches_the_commands() {
    let out = spendwatch().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "demo", "--db", "spendwatch serve --demo"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = spendwatch().args(["demo", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--services") && text.contains("--days") && text.contains("--seed"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("important.csv");
    std::fs::write(&path, "a,b,c\n1,2,3\n").unwrap();
    let out = spendwatch()
        .arg("--db")
        .arg(&path)
        .args(["demo", "--days", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("important.csv") && err.contains("not an SQLite database"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b,c\n1,2,3\n");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no -wal or -shm file was created"
    );
}

#[test]
fn an_unwritable_place_is_named() {
    let out = spendwatch()
        .args([
            "--db",
            "/nonexistent-spendwatch/sub/x.db",
            "demo",
            "--days",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-spendwatch/sub/x.db"), "{err}");
}

#[test]
fn a_bad_end_date_is_explained() {
    let out = spendwatch()
        .args(["demo", "--end", "yesterday"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'yesterday' is not YYYY-MM-DD"), "{err}");
}

#[test]
fn recommend_prints_json_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let ok = spendwatch()
        .arg("--db")
        .arg(&db)
        .args(["demo", "--days", "3", "--end", "2026-11-27T13:00"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let out = spendwatch()
        .arg("--db")
        .arg(&db)
        .args(["recommend", "--format", "json", "--at", "2026-11-27T13:00"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = v.as_array().unwrap();
    assert_eq!(services.len(), 2);
    for s in services {
        assert_eq!(s["cluster"], "mangu-publishing-cluster-production");
        for k in ["cpu", "memory_mib", "tier"] {
            assert!(
                s["current"].get(k).is_some() && s["recommended"].get(k).is_some(),
                "{k} in {s}"
            );
        }
        for k in [
            "cpu_sized_percentile_vcpu",
            "cpu_p95_vcpu",
            "cpu_percentile",
            "cpu_max_vcpu",
            "memory_max_mib",
            "hours_of_data",
        ] {
            assert!(s["usage"][k].is_number(), "{k} in {s}");
        }
        assert!(
            s["monthly_cost_usd"]["current"].is_number()
                && s["monthly_cost_usd"]["recommended"].is_number()
        );
        assert!(s["reason"].as_str().unwrap().starts_with("p95 CPU"));
        assert!(
            (s["usage"]["hours_of_data"].as_f64().unwrap() - 72.0).abs() < 0.01,
            "3 days of data"
        );
        // Money in cents, vCPU in thousandths, MiB and percents in tenths.
        let cost = &s["monthly_cost_usd"];
        for k in [
            "current",
            "recommended",
            "size_change",
            "capacity_provider_change",
        ] {
            assert_at_most_decimals(&cost[k], 2, k);
        }
        for k in ["cpu_sized_percentile_vcpu", "cpu_max_vcpu"] {
            assert_at_most_decimals(&s["usage"][k], 3, k);
        }
        assert_at_most_decimals(&s["usage"]["memory_max_mib"], 1, "memory_max_mib");
        assert_at_most_decimals(&s["usage"]["cpu_pinned_minutes"], 1, "cpu_pinned_minutes");
        let projected = &s["projected"]["cpu_sized_percentile_pct"];
        assert_at_most_decimals(projected, 1, "cpu_sized_percentile_pct");
        assert_eq!(
            &s["projected"]["cpu_p95_pct"], projected,
            "deprecated alias"
        );
        // The two parts add up to the change, to the cent.
        let f = |k: &str| cost[k].as_f64().unwrap();
        assert!(
            (f("size_change") + f("capacity_provider_change") - (f("recommended") - f("current")))
                .abs()
                < 0.011,
            "{cost}"
        );
    }

    let out = spendwatch()
        .arg("--db")
        .arg(&db)
        .args(["recommend", "--format", "csv", "--at", "2026-11-27T13:00"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.starts_with("cluster,service,finding,"));
    assert!(text
        .lines()
        .next()
        .unwrap()
        .ends_with(",risks,cpu_sized_percentile_vcpu,cpu_percentile,removed_from_aws_at"));
    assert!(
        services
            .iter()
            .any(|s| s["risks"].as_array().unwrap().len() >= 2),
        "the 3-day demo has a service with several risks, so the join below is tested"
    );
    for s in services {
        let risks: Vec<&str> = s["risks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let row = text
            .lines()
            .find(|l| l.contains(s["service"].as_str().unwrap()))
            .unwrap();
        assert!(row.contains(&risks.join("; ")), "{row}");
    }

    let out = spendwatch()
        .arg("--db")
        .arg(&db)
        .args(["recommend", "--at", "2026-11-27T13:00"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut unique = header.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), header.len(), "no header twice: {header:?}");
    for h in [
        "CURRENT TIER",
        "RECOMMENDED TIER",
        "HOURS OF DATA",
        "SIZE CHANGE $/MO",
    ] {
        assert!(header.contains(&h), "{h} in {header:?}");
    }
    assert!(!table.contains("DATA H "), "{table}");
    assert!(
        table.contains("Net monthly change if you follow every recommendation"),
        "{table}"
    );

    let out = spendwatch()
        .arg("--db")
        .arg(&db)
        .args([
            "recommend",
            "--at",
            "2026-11-27T13:00",
            "--lookback",
            "1",
            "--min-hours",
            "48",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("not-enough-data"),
        "flags override the defaults: {text}"
    );
}

/// `v` is a number written with at most `digits` decimals.
fn assert_at_most_decimals(v: &serde_json::Value, digits: usize, what: &str) {
    assert!(v.is_number(), "{what}: {v}");
    let text = v.to_string();
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(
        decimals <= digits,
        "{what} = {text}: more than {digits} decimals"
    );
}

#[test]
fn recommend_at_a_future_date_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = spendwatch()
        .arg("--db")
        .arg(dir.path().join("d.db"))
        .args(["recommend", "--at", "2999-01-01"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--at 2999-01-01 00:00 UTC is in the future (now is "),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no table of not-enough-data");
}

#[test]
fn a_bad_config_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("spendwatch.toml");
    std::fs::write(
        &config,
        "[recommend]\nlookback_days = 14\ncpu_target_utilization = 70\n",
    )
    .unwrap();
    let out = spendwatch()
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("d.db"))
        .arg("recommend")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("cpu_target_utilization"),
        "{err}"
    );
    assert!(
        !dir.path().join("d.db").exists(),
        "nothing is written when the config is bad"
    );
}

#[test]
fn a_missing_or_non_utf8_config_is_explained_once() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"[recommend]\n# caf\xe9\n").unwrap();
    for (config, reason) in [
        (dir.path().join("nope.toml"), "no such file"),
        (latin1, "not UTF-8"),
    ] {
        let out = spendwatch()
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(dir.path().join("d.db"))
            .arg("recommend")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches(reason).count(), 1, "said once: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn demo_counts_are_grouped_and_a_second_run_says_it_is_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let run = || {
        let out = spendwatch()
            .arg("--db")
            .arg(&db)
            .args([
                "demo",
                "--services",
                "1",
                "--days",
                "1",
                "--end",
                "2026-11-27",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run();
    let datapoints = first
        .split(", ")
        .find(|part| part.ends_with(" datapoints"))
        .and_then(|part| part.split(' ').next())
        .unwrap_or_else(|| panic!("no datapoint count: {first}"));
    assert!(
        datapoints.contains(',') && datapoints.replace(',', "").parse::<u64>().unwrap() >= 1000,
        "thousands separators: {first}"
    );
    let second = run();
    assert!(
        second.contains(&format!("already in {}", db.display()))
            && second.contains(&format!(
                "{datapoints} datapoints up to 2026-11-27 00:00 UTC"
            ))
            && second.contains("nothing written"),
        "{second}"
    );
    assert!(!second.contains(" 0 datapoints"), "{second}");
}

#[test]
fn the_server_log_in_a_file_has_no_colour_and_says_serving_once() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out.log"), dir.path().join("err.log"));
    let mut child = spendwatch()
        .arg("--db")
        .arg(dir.path().join("s.db"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let read = |p: &std::path::Path| {
        let mut s = Vec::new();
        std::fs::File::open(p).unwrap().read_to_end(&mut s).unwrap();
        s
    };
    // Wait (without a time limit of our own: the test runner has one) until the server said
    // where it serves and logged its start-up sizing.
    let (out, err) = loop {
        let (out, err) = (read(&out_path), read(&err_path));
        let said = |b: &[u8], what: &str| String::from_utf8_lossy(b).contains(what);
        if said(&out, "serving") && said(&err, "sized") || child.try_wait().unwrap().is_some() {
            break (out, err);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    assert!(err.contains("sized"), "the log has a line to check: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes in a log file: {err:?}"
    );
    let serving = out
        .lines()
        .chain(err.lines())
        .filter(|l| l.contains("serving"))
        .count();
    assert_eq!(serving, 1, "said once: {out}{err}");
    assert!(
        out.contains("serving http://127.0.0.1:"),
        "the browser tests find the address on stdout: {out}"
    );
}
