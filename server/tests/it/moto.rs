//! moto's standalone server on a free loopback port, stopped when dropped; and SDK clients that
//! talk to it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    addr: SocketAddr,
}

fn moto_binary() -> String {
    std::env::var("MOTO_SERVER")
        .unwrap_or_else(|_| format!("{}/../.venv/bin/moto_server", env!("CARGO_MANIFEST_DIR")))
}

impl Moto {
    /// Starts moto on a free port and waits until it answers.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): ./scripts/test-all.sh installs moto[server] in .venv",
                    moto_binary()
                )
            });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            addr,
        }
    }

    /// SDK configuration pointing at this server with test credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// Environment for a `spendwatch` child process to use this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
        ]
    }

    /// POSTs JSON to one of moto's own endpoints (e.g. `/moto-api/static/ce/cost-and-usage-results`).
    pub fn post_json(&self, path: &str, body: &str) {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect(self.addr).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 2") || response.starts_with("HTTP/1.0 2"),
            "moto said: {response}"
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
