//! Real resources through each runtime's own I/O: a TCP connection, a child
//! process, a file. The real-work cases use them, so a socket read on smol
//! is async-io's `Async<TcpStream>` and a child on tokio is
//! `tokio::process::Child`, while the case is written once.
//!
//! Every call must run inside the runtime (on one of its tasks): tokio's
//! types find their driver through the task's context.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitStatus;

/// What a child process is started as: a program, its arguments, and
/// whether dropping its handle kills it.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The program, found on `PATH`.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Whether dropping the runtime's `Child` handle kills the process
    /// (tokio's and async-process's `kill_on_drop`). Off, as in the
    /// standard library, the process runs on after its handle is gone.
    pub kill_on_drop: bool,
}

// Every runtime's `spawn_child` starts from it; without a runtime feature
// nothing does.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
impl ChildSpec {
    /// The standard library's command for this child, its standard streams
    /// null: what each runtime's command is made from, and what blocking
    /// work spawns itself. `kill_on_drop` has no meaning there: a dropped
    /// `std::process::Child` is neither killed nor reaped.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    }
}

/// A runtime's own sockets, processes and files.
pub trait Io {
    /// A connected TCP stream (tokio's, async-std's, or async-io's
    /// `Async<TcpStream>` on smol).
    type Tcp: Send + 'static;
    /// A running child process.
    type Child: Send + 'static;
    /// A file open for writing.
    type File: Send + 'static;

    /// Connects to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Reads what is there into `buf`: `Ok(0)` at end of stream.
    ///
    /// Cancel safe on every runtime: dropping it before it completes loses
    /// no byte.
    fn read<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Writes all of `buf`.
    fn write_all<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Starts a child process as `spec` says, its standard streams null.
    fn spawn_child(spec: &ChildSpec) -> io::Result<Self::Child>;

    /// The child's process id; `None` once the runtime has reaped it
    /// (tokio forgets it then).
    fn child_id(child: &Self::Child) -> Option<u32>;

    /// Waits for the child to exit and reaps it.
    fn wait(child: &mut Self::Child) -> impl Future<Output = io::Result<ExitStatus>> + Send + '_;

    /// Sends the child `SIGKILL` without waiting for it.
    fn kill(child: &mut Self::Child) -> io::Result<()>;

    /// Creates (or truncates) the file at `path`.
    fn create(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send;

    /// Writes all of `buf` to the file.
    fn write_file<'a>(
        file: &'a mut Self::File,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Flushes what the runtime buffered and waits until the data is on disk.
    fn sync(file: &mut Self::File) -> impl Future<Output = io::Result<()>> + Send + '_;
}

#[cfg(feature = "tokio")]
impl Io for super::TokioHandle {
    type Tcp = tokio::net::TcpStream;
    type Child = tokio::process::Child;
    type File = tokio::fs::File;

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send {
        tokio::net::TcpStream::connect(addr)
    }

    fn read<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        tokio::io::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tokio::io::AsyncWriteExt::write_all(stream, buf)
    }

    fn spawn_child(spec: &ChildSpec) -> io::Result<Self::Child> {
        tokio::process::Command::from(spec.command())
            .kill_on_drop(spec.kill_on_drop)
            .spawn()
    }

    fn child_id(child: &Self::Child) -> Option<u32> {
        child.id()
    }

    fn wait(child: &mut Self::Child) -> impl Future<Output = io::Result<ExitStatus>> + Send + '_ {
        child.wait()
    }

    fn kill(child: &mut Self::Child) -> io::Result<()> {
        child.start_kill()
    }

    fn create(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send {
        tokio::fs::File::create(path)
    }

    fn write_file<'a>(
        file: &'a mut Self::File,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tokio::io::AsyncWriteExt::write_all(file, buf)
    }

    async fn sync(file: &mut Self::File) -> io::Result<()> {
        // tokio's File finishes a write in the background: flush waits for it.
        tokio::io::AsyncWriteExt::flush(file).await?;
        file.sync_all().await
    }
}

/// async-process's child and futures-lite's I/O extension traits, shared
/// by async-std and smol: both drive children with async-process.
#[cfg(any(feature = "async-std", feature = "smol"))]
mod async_process_child {
    use super::*;

    pub(super) fn spawn(spec: &ChildSpec) -> io::Result<async_process::Child> {
        let mut cmd = async_process::Command::from(spec.command());
        cmd.kill_on_drop(spec.kill_on_drop);
        cmd.spawn()
    }

    pub(super) fn kill(child: &mut async_process::Child) -> io::Result<()> {
        match child.kill() {
            // async-process says "invalid input" for a child that already exited.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            other => other,
        }
    }
}

#[cfg(feature = "async-std")]
impl Io for super::AsyncStdHandle {
    type Tcp = async_std::net::TcpStream;
    type Child = async_process::Child;
    type File = async_std::fs::File;

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send {
        async_std::net::TcpStream::connect(addr)
    }

    fn read<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        futures_lite::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures_lite::AsyncWriteExt::write_all(stream, buf)
    }

    fn spawn_child(spec: &ChildSpec) -> io::Result<Self::Child> {
        async_process_child::spawn(spec)
    }

    fn child_id(child: &Self::Child) -> Option<u32> {
        Some(child.id())
    }

    fn wait(child: &mut Self::Child) -> impl Future<Output = io::Result<ExitStatus>> + Send + '_ {
        child.status()
    }

    fn kill(child: &mut Self::Child) -> io::Result<()> {
        async_process_child::kill(child)
    }

    fn create(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send {
        async_std::fs::File::create(path)
    }

    fn write_file<'a>(
        file: &'a mut Self::File,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures_lite::AsyncWriteExt::write_all(file, buf)
    }

    async fn sync(file: &mut Self::File) -> io::Result<()> {
        futures_lite::AsyncWriteExt::flush(file).await?;
        file.sync_all().await
    }
}

#[cfg(feature = "smol")]
impl Io for super::SmolHandle {
    type Tcp = async_io::Async<std::net::TcpStream>;
    type Child = async_process::Child;
    type File = async_fs::File;

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send {
        async_io::Async::<std::net::TcpStream>::connect(addr)
    }

    fn read<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        futures_lite::AsyncReadExt::read(stream, buf)
    }

    fn write_all<'a>(
        stream: &'a mut Self::Tcp,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures_lite::AsyncWriteExt::write_all(stream, buf)
    }

    fn spawn_child(spec: &ChildSpec) -> io::Result<Self::Child> {
        async_process_child::spawn(spec)
    }

    fn child_id(child: &Self::Child) -> Option<u32> {
        Some(child.id())
    }

    fn wait(child: &mut Self::Child) -> impl Future<Output = io::Result<ExitStatus>> + Send + '_ {
        child.status()
    }

    fn kill(child: &mut Self::Child) -> io::Result<()> {
        async_process_child::kill(child)
    }

    fn create(path: PathBuf) -> impl Future<Output = io::Result<Self::File>> + Send {
        async_fs::File::create(path)
    }

    fn write_file<'a>(
        file: &'a mut Self::File,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures_lite::AsyncWriteExt::write_all(file, buf)
    }

    async fn sync(file: &mut Self::File) -> io::Result<()> {
        futures_lite::AsyncWriteExt::flush(file).await?;
        file.sync_all().await
    }
}
