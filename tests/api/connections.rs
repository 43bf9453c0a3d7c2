//! Slow and idle clients against the real server: each is cut off after its timeout, a node
//! keeps at most `ACADEMY_MAX_CONNECTIONS` open, and `/health` keeps answering meanwhile.

use std::{
    io::Write,
    net::TcpStream,
    thread,
    time::{Duration, Instant},
};

use crate::server::{Server, read_until_closed};

/// Short timeouts, so each test takes seconds.
const SHORT: &[(&str, &str)] = &[
    ("ACADEMY_HEADER_TIMEOUT_SECONDS", "2"),
    ("ACADEMY_IDLE_TIMEOUT_SECONDS", "2"),
    ("ACADEMY_BODY_TIMEOUT_SECONDS", "1"),
];

/// Writes `bytes` one at a time, `every` apart, until the server stops taking them.
fn dribble(mut stream: TcpStream, bytes: &'static [u8], every: Duration) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for byte in bytes.iter().cycle().take(200) {
            if stream.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(every);
        }
    })
}

#[test]
fn slow_and_idle_connections_are_closed_and_health_keeps_answering() {
    let server = Server::start(SHORT);
    let started = Instant::now();

    // Connects and sends nothing.
    let mut silent = server.connect();
    // Sends headers one byte at a time, never finishing them.
    let mut slow_headers = server.connect();
    write!(slow_headers, "GET /health HTTP/1.1\r\nHost: localhost\r\n").expect("send");
    let slow_headers_writer = dribble(
        slow_headers.try_clone().expect("clone"),
        b"X-Slow: yes\r\n",
        Duration::from_millis(200),
    );
    // Sends complete headers, then the body one byte at a time.
    let mut slow_body = server.connect();
    write!(
        slow_body,
        "PATCH /api/me HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: 60000\r\n\r\n"
    )
    .expect("send");
    let slow_body_writer = dribble(
        slow_body.try_clone().expect("clone"),
        b" ",
        Duration::from_millis(200),
    );
    // Asks for one response and then keeps the connection without using it.
    let mut kept_alive = server.connect();
    write!(
        kept_alive,
        "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    .expect("send");

    assert!(
        server.health().is_some(),
        "/health answers while the slow clients hold their connections"
    );

    let limit = Duration::from_secs(10);
    let (closed, _) = read_until_closed(&mut silent, limit);
    assert!(closed, "a connection that sends nothing is closed");
    let (closed, _) = read_until_closed(&mut slow_headers, limit);
    assert!(closed, "unfinished headers are cut off");
    let (closed, answer) = read_until_closed(&mut slow_body, limit);
    assert!(closed, "a body that trickles in is cut off");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let (closed, answer) = read_until_closed(&mut kept_alive, limit);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "an idle kept-alive connection is closed");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "each was closed after its short timeout, not by the test's limit: {:?}",
        started.elapsed()
    );
    slow_headers_writer.join().expect("writer");
    slow_body_writer.join().expect("writer");
    assert!(server.health().is_some(), "/health still answers");
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    let mut settings = SHORT.to_vec();
    settings.push(("ACADEMY_MAX_CONNECTIONS", "4"));
    let server = Server::start(&settings);
    // Let the connection that checked /health during start-up end before counting.
    thread::sleep(Duration::from_millis(200));
    let held: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    thread::sleep(Duration::from_millis(200));
    let waited = Instant::now();
    let mut waiting = server.connect();
    write!(
        waiting,
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let (_, answer) = read_until_closed(&mut waiting, Duration::from_secs(10));
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "answered in the end: {answer}"
    );
    assert!(
        waited.elapsed() >= Duration::from_millis(1500),
        "the fifth connection waited for one of the four to time out: {:?}",
        waited.elapsed()
    );
    drop(held);
}

/// A raw HTTP/1.1 request for `/health` with `extra` headers of `size` bytes each; the reply.
fn with_headers(server: &Server, extra: usize, size: usize) -> String {
    let mut stream = server.connect();
    let mut request =
        String::from("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for i in 0..extra {
        request.push_str(&format!("x-extra-{i}: {}\r\n", "v".repeat(size)));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    read_until_closed(&mut stream, Duration::from_secs(10)).1
}

#[test]
fn heads_too_large_are_a_json_431_up_to_what_hyper_reads() {
    let server = Server::start(&[]);
    // Over the middleware's limits but within hyper's: the API's JSON error.
    for (extra, size) in [(150, 1), (1, 40 << 10)] {
        let reply = with_headers(&server, extra, size);
        assert!(reply.starts_with("HTTP/1.1 431"), "{extra}×{size}: {reply}");
        assert!(reply.contains(r#""code":"headers_too_large""#), "{reply}");
    }
    // Beyond what hyper reads (256 headers): hyper's own 431, without a body.
    let reply = with_headers(&server, 300, 1);
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
    assert!(server.health().is_some());
}
