//! The `tcp` workload on every strategy × runtime, and what a real socket
//! does to a read loop that is cancelled over and over.

mod common;

use std::io::Write as _;
use std::net::TcpListener;
use std::time::Duration;

use cancel_conformance::Subject;
use cancel_harness::runtime::real_io::Io;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};
use cancel_real::{Workload, observe};

/// Every row closes the connection, as its form predicts, and times it.
fn closes_the_connection<S: Subject<R>, R: Runtime>() {
    let row = observe(Workload::Tcp, S::KIND, R::KIND, 3);
    assert!(row.pass, "{} on {}: {}", S::NAME, R::KIND, row.detail);
    assert!(row.released, "{}", row.detail);
    assert_eq!(row.latency.len(), 3, "{}", row.detail);
    assert_eq!(row.floor_samples.len(), 3, "{}", row.detail);
    assert_eq!(row.floor, Some("tcp_close"));
}

cancel_conformance::matrix_tests!(closes_the_connection);

/// The bytes a peer sends: a counter, so a lost or repeated byte shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A peer that sends `bytes` in pieces of 1 to 1 500 bytes with a 5 ms
/// pause after some, then closes.
fn send_in_pieces(bytes: Vec<u8>) -> std::net::SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("the reader connects");
        let _ = conn.set_nodelay(true);
        let mut seed = 0x9e37_79b9_u32;
        let mut at = 0;
        while at < bytes.len() {
            // xorshift: a fixed sequence of piece sizes and pauses.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let len = (seed as usize % 1_500 + 1).min(bytes.len() - at);
            conn.write_all(&bytes[at..at + len])
                .expect("the reader reads on");
            at += len;
            // Pauses longer than any runtime's timer tick: reads in them
            // are cut off on every runtime.
            if seed.is_multiple_of(8) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
    addr
}

const STREAM: usize = 256 * 1024;

/// Each read's timeout: shorter than the peer's pauses.
const READ_TIMEOUT: Duration = Duration::from_micros(500);

/// Reads a stream with every read under a short timeout, the buffer kept
/// outside the read: returns what arrived and how many reads the timeout
/// cut off. With `whole_frames`, each read future instead fills a 68-byte
/// frame of its own, as `read_exact` does, and what it held is lost with
/// it when the timeout drops it.
fn read_with_timeouts<R: Runtime>(whole_frames: bool) -> (Vec<u8>, usize) {
    let rt = R::build(Clock::Real).expect("a runtime");
    let h = rt.handle();
    let addr = send_in_pieces(pattern(STREAM));
    rt.block_on(async {
        let mut stream = R::Handle::connect(addr).await.expect("connect");
        let (mut got, mut cut) = (Vec::new(), 0);
        let mut buf = [0u8; 4096];
        loop {
            if whole_frames {
                let frame = async {
                    let (mut f, mut n) = ([0u8; 68], 0);
                    while n < f.len() {
                        let r = R::Handle::read(&mut stream, &mut f[n..])
                            .await
                            .expect("read");
                        if r == 0 {
                            break;
                        }
                        n += r;
                    }
                    f[..n].to_vec()
                };
                // Dropping this future at the deadline drops its frame too.
                match h.timeout(READ_TIMEOUT, frame).await {
                    Some(f) if f.is_empty() => break,
                    Some(f) => got.extend(f),
                    None => cut += 1,
                }
            } else {
                // A dropped `read` has taken no byte: the kept buffer is whole.
                let read = R::Handle::read(&mut stream, &mut buf);
                match h.timeout(READ_TIMEOUT, read).await {
                    Some(Ok(0)) => break,
                    Some(Ok(n)) => got.extend_from_slice(&buf[..n]),
                    Some(Err(e)) => panic!("read failed: {e}"),
                    None => cut += 1,
                }
            }
            if got.len() >= STREAM {
                break;
            }
        }
        (got, cut)
    })
}

/// A read loop whose buffer outlives each cancelled read gets every byte,
/// in order, however many reads a timeout cut off.
fn a_read_loop_that_keeps_its_buffer_loses_no_byte<R: Runtime>() {
    let (got, cut) = read_with_timeouts::<R>(false);
    assert!(cut > 0, "no read was ever cut off: the test proved nothing");
    assert_eq!(got.len(), STREAM);
    assert!(got == pattern(STREAM), "bytes lost or out of order");
}

/// A read future that keeps its own frame loses what it held each time it
/// is dropped: fewer bytes arrive than were sent, or they arrive out of
/// place.
fn a_frame_read_inside_the_future_loses_bytes_when_dropped<R: Runtime>() {
    let (got, cut) = read_with_timeouts::<R>(true);
    assert!(cut > 0, "no read was ever cut off: the test proved nothing");
    assert!(
        got != pattern(STREAM)[..got.len().min(STREAM)] || got.len() < STREAM,
        "nothing was lost in {cut} cut reads"
    );
}

common::per_runtime!(
    a_read_loop_that_keeps_its_buffer_loses_no_byte,
    a_frame_read_inside_the_future_loses_bytes_when_dropped
);
