//! A tiny Lambda Runtime API on loopback, for the benchmark and the retry tests: it hands out
//! the events it is given (with request ids of its own or the caller's) and records when the
//! function first asked for work and what it answered.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Answer {
    pub ok: bool,
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    events: VecDeque<(String, String)>,
    first_next: Option<Instant>,
    answers: Vec<(String, Answer)>,
    next_id: u64,
}

#[derive(Clone, Default)]
pub struct RuntimeApi {
    inner: Arc<(Mutex<Inner>, Condvar)>,
    pub addr: String,
}

impl RuntimeApi {
    /// Starts serving on a free loopback port.
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind runtime api");
        let api = RuntimeApi {
            addr: listener.local_addr().unwrap().to_string(),
            ..Default::default()
        };
        let served = api.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let api = served.clone();
                std::thread::spawn(move || api.connection(stream));
            }
        });
        api
    }

    /// Queues an event; returns its request id.
    pub fn push(&self, event: String) -> String {
        let (lock, cv) = &*self.inner;
        let mut inner = lock.lock().unwrap();
        inner.next_id += 1;
        let id = format!("req-{}", inner.next_id);
        inner.events.push_back((id.clone(), event));
        cv.notify_all();
        id
    }

    /// Queues an event under a request id of the caller's (a retry has its attempt's id).
    pub fn push_as(&self, id: &str, event: String) {
        let (lock, cv) = &*self.inner;
        lock.lock()
            .unwrap()
            .events
            .push_back((id.to_string(), event));
        cv.notify_all();
    }

    /// When the function first asked for an event.
    pub fn wait_first_next(&self, timeout: Duration) -> Option<Instant> {
        let (lock, cv) = &*self.inner;
        let inner = lock.lock().unwrap();
        let (inner, _) = cv
            .wait_timeout_while(inner, timeout, |i| i.first_next.is_none())
            .unwrap();
        inner.first_next
    }

    /// The function's answer to request `id`.
    pub fn wait_answer(&self, id: &str, timeout: Duration) -> Option<Answer> {
        let (lock, cv) = &*self.inner;
        let inner = lock.lock().unwrap();
        let (inner, _) = cv
            .wait_timeout_while(inner, timeout, |i| !i.answers.iter().any(|(k, _)| k == id))
            .unwrap();
        inner
            .answers
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, a)| a.clone())
    }

    fn connection(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or("").to_string(),
                parts.next().unwrap_or("").to_string(),
            );
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let body = String::from_utf8_lossy(&body).to_string();
            let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
                let (id, event) = self.next_event();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\nContent-Length: {}\r\n\r\n{event}",
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 900_000,
                    event.len()
                )
            } else if method == "POST" && (path.ends_with("/response") || path.ends_with("/error"))
            {
                let id = path.split('/').rev().nth(1).unwrap_or("").to_string();
                let (lock, cv) = &*self.inner;
                lock.lock().unwrap().answers.push((
                    id,
                    Answer {
                        ok: path.ends_with("/response"),
                        body,
                        at: Instant::now(),
                    },
                ));
                cv.notify_all();
                "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_string()
            } else {
                "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_string()
            };
            if out.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn next_event(&self) -> (String, String) {
        let (lock, cv) = &*self.inner;
        let mut inner = lock.lock().unwrap();
        if inner.first_next.is_none() {
            inner.first_next = Some(Instant::now());
            cv.notify_all();
        }
        loop {
            if let Some(e) = inner.events.pop_front() {
                return e;
            }
            inner = cv.wait(inner).unwrap();
        }
    }
}
