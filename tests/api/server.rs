//! The real `academy serve` process on a free port, for what only a real server and real sockets
//! show: timeouts, connection limits, `Expect: 100-continue`.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running `academy serve` on its own SQLite file and no content; stopped when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
    _data_dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server with extra `ACADEMY_*` settings and waits until `/health` answers.
    pub fn start(settings: &[(&str, &str)]) -> Server {
        let data_dir = tempfile::tempdir().expect("dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_academy"));
        command
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("ACADEMY_DATABASE_URL")
            .env_remove("ACADEMY_CONFIG")
            .env("ACADEMY_LOG", "warn")
            .env("ACADEMY_DATA_DIR", data_dir.path())
            .env("ACADEMY_CONTENT_DIR", data_dir.path().join("no-content"))
            .env("ACADEMY_CONTENT_POLL_SECONDS", "0")
            .env("ACADEMY_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in settings {
            command.env(name, value);
        }
        let child = command.spawn().expect("start the server");
        let server = Server {
            port,
            child,
            _data_dir: data_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.health().is_some() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server never answered /health");
    }

    /// A new connection to the server.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream
    }

    /// `GET /health` on a new connection: the status line, if the server answered in 2 s.
    pub fn health(&self) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(
            stream,
            "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.lines().next()?.to_owned();
        status.starts_with("HTTP/1.1 200").then_some(status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads what the server sends until it closes the connection or `limit` passes; whether it
/// closed, and what it sent.
pub fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (bool, String) {
    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        stream
            .set_read_timeout(Some(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(10)),
            ))
            .expect("timeout");
        match stream.read(&mut buffer) {
            Ok(0) => return (true, String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (true, String::from_utf8_lossy(&received).into_owned());
            }
            Err(_) => break,
        }
    }
    (false, String::from_utf8_lossy(&received).into_owned())
}
