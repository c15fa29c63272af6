//! Gateway load benchmark (not a test): requests/s and added latency with the guard off and
//! on, short and 512-token prompts, streamed and not, plus memory under sustained load.
//!
//! Everything runs on 127.0.0.1: a fast OpenAI-compatible upstream (instant canned replies),
//! the gateway twice (guard off, guard on), and `wrk` as the load generator (Debian package
//! `wrk`; `benches/run.sh` installs it). Added latency is the gateway's percentile minus the
//! same percentile measured against the upstream directly.
//!
//! ```text
//! bash crates/rampart-gateway/benches/run.sh            # installs wrk, builds in release, runs
//! RAMPART_BENCH_SECS=10 RAMPART_BENCH_SOAK_SECS=300 cargo bench -p rampart-gateway --bench gateway_load
//! ```

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::post;
use rampart_gateway::{Gateway, GatewayConfig, UpstreamConfig};
use rampart_guard::{Guard, Policy};
use serde_json::{Value, json};

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The fast upstream: a fixed completion, or a 16-chunk stream, without delay.
fn upstream() -> Router {
    async fn handle(body: axum::body::Bytes) -> axum::response::Response {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let reply = "The capital of France is Paris. It has been the capital for centuries and is known for art.";
        if v["stream"] == json!(true) {
            let mut out = String::new();
            for w in reply.split_inclusive(' ') {
                out.push_str(&format!(
                    "data: {}\n\n",
                    json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                        "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": null}]})
                ));
            }
            out.push_str(&format!(
                "data: {}\n\ndata: [DONE]\n\n",
                json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            ));
            return ([("content-type", "text/event-stream")], Body::from(out)).into_response();
        }
        axum::Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}}))
        .into_response()
    }
    Router::new().route("/v1/chat/completions", post(handle))
}

async fn bind(router: Router) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, router).await;
    });
    addr
}

/// The guard for "on": the default policy (trained classifier included) when its model loads,
/// else the default policy without the classifier (said in the output).
fn guard() -> (Guard, &'static str) {
    match Guard::with_default_policy() {
        Ok(g) => (g, "default policy (classifier, PII, malformed, leak)"),
        Err(e) => {
            let mut p = Policy::default();
            p.detectors.classifier.enabled = false;
            eprintln!("note: default guard failed to load ({e}); running without the classifier");
            (
                Guard::new(p).expect("guard without classifier"),
                "default policy WITHOUT classifier",
            )
        }
    }
}

async fn gateway(up: SocketAddr, guard_on: bool, g: Guard) -> SocketAddr {
    let mut cfg = GatewayConfig {
        guard_input: guard_on,
        guard_output: guard_on,
        ..GatewayConfig::default()
    };
    cfg.upstreams.insert(
        "up".into(),
        UpstreamConfig {
            url: format!("http://{up}/v1"),
            ..UpstreamConfig::default()
        },
    );
    let gw = Gateway::builder(cfg).guard(g).build().await.unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(gw.serve(l, std::future::pending()));
    addr
}

#[derive(Debug, Default, Clone, Copy)]
struct Run {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn parse_duration_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let v: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => return None,
    })
}

/// Runs wrk against `url` with `body` for `secs` seconds.
fn wrk(url: &str, body: &Value, secs: u64, connections: u32) -> Run {
    let dir = std::env::temp_dir().join(format!("rampart-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("post.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = [==[{body}]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )
    .unwrap();
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk, or use benches/run.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut run = Run::default();
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            run.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("50%") {
            run.p50_ms = parse_duration_ms(v).unwrap_or(f64::NAN);
        } else if let Some(v) = t.strip_prefix("99%") {
            run.p99_ms = parse_duration_ms(v).unwrap_or(f64::NAN);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            run.errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if t.starts_with("Socket errors:") {
            run.errors += t
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    run
}

/// (RSS in MiB, thread count) of process `pid`, from /proc.
fn process_memory(pid: u32) -> (f64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    (
        field("VmRSS:").map_or(f64::NAN, |kb| kb / 1024.0),
        field("Threads:").unwrap_or(0.0) as u64,
    )
}

/// Set in the environment of the child process that serves the soak's gateway alone.
const CHILD_UPSTREAM_ENV: &str = "RAMPART_BENCH_GATEWAY_UPSTREAM";

/// The child: a guarded gateway in front of the parent's upstream, same runtime shape as the
/// gateways in the table; prints its address and serves until killed.
fn serve_gateway_child(upstream: SocketAddr) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addr = gateway(upstream, true, guard().0).await;
        println!("{addr}");
        std::future::pending::<()>().await
    });
}

/// Starts [`serve_gateway_child`] in a new process of this binary; returns it and its address.
fn spawn_gateway_child(upstream: SocketAddr) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_UPSTREAM_ENV, upstream.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("benchmark binary re-runs itself as the soak gateway");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (
        child,
        line.trim().parse().expect("child prints its address"),
    )
}

fn main() {
    if let Ok(up) = std::env::var(CHILD_UPSTREAM_ENV) {
        serve_gateway_child(up.parse().expect("upstream address"));
        return;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed: `apt-get install wrk` (benches/run.sh does it)");
        return;
    }
    let secs = env_secs("RAMPART_BENCH_SECS", 8);
    let soak = env_secs("RAMPART_BENCH_SOAK_SECS", 60);
    let conns = env_secs("RAMPART_BENCH_CONNECTIONS", 16) as u32;
    // The servers share the 2 cores with wrk: two async workers, guard on the blocking pool.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (g, guard_desc) = guard();
    let (up, off, on) = rt.block_on(async {
        let up = bind(upstream()).await;
        let off = gateway(up, false, guard().0).await;
        let on = gateway(up, true, g).await;
        (up, off, on)
    });
    let short = "What is the capital of France?".to_string();
    let long =
        "The quick brown fox jumps over the lazy dog while the river flows past the old mill. "
            .repeat(24);
    println!(
        "rampart gateway benchmark: {secs}s per cell, {conns} connections, wrk -t1, 127.0.0.1"
    );
    println!("guard on = {guard_desc}\n");
    println!(
        "| prompt | stream | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (pname, prompt) in [("short", &short), ("512 tok", &long)] {
        for stream in [false, true] {
            let body = json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": prompt}]});
            let direct = wrk(
                &format!("http://{up}/v1/chat/completions"),
                &body,
                secs,
                conns,
            );
            for (name, addr) in [
                ("upstream direct", None),
                ("gateway, guard off", Some(off)),
                ("gateway, guard on", Some(on)),
            ] {
                let r = match addr {
                    None => direct,
                    Some(a) => wrk(
                        &format!("http://{a}/v1/chat/completions"),
                        &body,
                        secs,
                        conns,
                    ),
                };
                let (a50, a99) = if addr.is_some() {
                    (
                        format!("{:.2}", r.p50_ms - direct.p50_ms),
                        format!("{:.2}", r.p99_ms - direct.p99_ms),
                    )
                } else {
                    ("-".into(), "-".into())
                };
                println!(
                    "| {pname} | {} | {name} | {:.0} | {:.2} | {:.2} | {a50} | {a99} | {} |",
                    if stream { "yes" } else { "no" },
                    r.rps,
                    r.p50_ms,
                    r.p99_ms,
                    r.errors
                );
            }
        }
    }
    // Latency the gateway adds to one request, measured without queueing: one connection at a
    // time. (At 16 connections the table above is at saturation, where latency is mostly the
    // wait for a free core: connections / throughput.)
    println!("\nadded latency at light load (1 connection), guard on vs the upstream directly:\n");
    println!(
        "| prompt | stream | direct p50 ms | direct p99 ms | gateway p50 ms | gateway p99 ms | added p50 ms | added p99 ms |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (pname, prompt) in [("short", &short), ("512 tok", &long)] {
        for stream in [false, true] {
            let body = json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": prompt}]});
            let direct = wrk(&format!("http://{up}/v1/chat/completions"), &body, secs, 1);
            let gw = wrk(&format!("http://{on}/v1/chat/completions"), &body, secs, 1);
            println!(
                "| {pname} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                if stream { "yes" } else { "no" },
                direct.p50_ms,
                direct.p99_ms,
                gw.p50_ms,
                gw.p99_ms,
                gw.p50_ms - direct.p50_ms,
                gw.p99_ms - direct.p99_ms
            );
        }
    }
    // Sustained load on a gateway in its own process, so that its memory is measured alone
    // (the upstream and the table's gateways stay in this one).
    let (mut child, soak_addr) = spawn_gateway_child(up);
    let pid = child.id();
    println!(
        "\nmemory under sustained load (guard on, short prompt, {soak}s): the gateway alone, in its own process (pid {pid}):"
    );
    let before = process_memory(pid);
    let started = Instant::now();
    let sampler = std::thread::spawn(move || {
        let mut samples = Vec::new();
        while started.elapsed() < Duration::from_secs(soak) {
            std::thread::sleep(Duration::from_secs((soak / 10).max(1)));
            samples.push((started.elapsed().as_secs(), process_memory(pid)));
        }
        samples
    });
    let body = json!({"model": "m", "messages": [{"role": "user", "content": short}]});
    let r = wrk(
        &format!("http://{soak_addr}/v1/chat/completions"),
        &body,
        soak,
        conns,
    );
    let samples = sampler.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    println!("| t (s) | RSS MiB | threads |");
    println!("| ---: | ---: | ---: |");
    println!("| 0 | {:.1} | {} |", before.0, before.1);
    for (t, (rss, threads)) in &samples {
        println!("| {t} | {rss:.1} | {threads} |");
    }
    println!(
        "soak: {:.0} req/s, p99 {:.2} ms, {} errors",
        r.rps, r.p99_ms, r.errors
    );
    drop(rt);
}
