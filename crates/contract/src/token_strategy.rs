//! One runtime module of a token-shaped strategy, written once for every
//! token type: [`token_strategy!`](crate::token_strategy) and the tests it
//! must pass, [`token_strategy_tests!`](crate::token_strategy_tests).
//!
//! `cancel-token` (tokio-util's `CancellationToken`) and `cancel-scope` (its
//! own `CancelScope`) run the contract the same way: the work is handed a
//! token, cancelling asks, the canceller waits. Their tokens share the
//! methods the strategy calls (`new`, `clone`, `cancel`, `is_cancelled`,
//! `drop_guard` and `DropGuard::disarm`), so one template serves both.
//!
//! It is a macro, not generic code over a trait, for two reasons. The
//! orphan rule forbids `cancel-token` to implement a trait of this crate for
//! tokio-util's type (a newtype would hand the work something other than
//! tokio-util's token, which is the point of that crate). And the code spawns
//! and sleeps on a runtime, which this crate does not depend on: a macro's
//! `::tokio::spawn`, `::async_std::task::spawn` or `::async_io::Timer`
//! resolve in the crate that expands it, which does. So this crate stays
//! free of runtimes, and no strategy crate depends on another.

/// Writes one runtime module of a token-shaped strategy: `CAPABILITIES`,
/// `run_with_timeout`, `start`, `start_with` and a handle type with
/// `signal`, `request_stop`, `is_finished`, `cancel` and `join`, which
/// implements [`CancelHandle`](crate::CancelHandle). Every item is
/// documented, the docs written from the names given.
///
/// Expand it at the top of the runtime's module, with the token type (and,
/// on tokio and async-std, its drop guard's type) in scope:
///
/// ```text
/// use tokio_util::sync::{CancellationToken, DropGuard};
///
/// cancel_contract::token_strategy! {
///     runtime: tokio,          // or async_std (with a guard), or smol (without)
///     token: CancellationToken,
///     guard: DropGuard,
///     handle: TokenHandle,     // the handle type it defines
///     noun: token,             // what the docs call the token
///     child: child_token,      // the token's method that makes a child
/// }
/// ```
///
/// The expanding crate needs:
///
/// - a token type with `new()`, `Clone`, `cancel(&self)`,
///   `is_cancelled(&self) -> bool`, and, on tokio and async-std,
///   `drop_guard(self)` returning the guard type, whose `disarm(self)` gives
///   the token back without cancelling it; `Send + Sync + Debug + 'static`;
/// - a `CAPABILITIES` constant at its root (the module's `CAPABILITIES` is it);
/// - the runtime's crates: `tokio` (features `rt`, `time`), `async_std`, or
///   `async_executor` and `async_io`.
///
/// What the module does, per runtime: the work runs as the runtime's task
/// (on smol, on the executor passed first: a function that spawns onto an
/// executor takes `ex`), with its panics caught; `run_with_timeout` runs it
/// in the caller's task, raced with the runtime's timer; the handle cancels
/// the token when dropped, unless the work has been joined (on tokio and
/// async-std through the token's drop guard, on smol in `Drop`, which
/// detaches the task instead of dropping it so the work can clean up).
#[macro_export]
// `crate::CAPABILITIES` is meant: the table of the crate that expands this.
#[allow(clippy::crate_in_macro_def)]
macro_rules! token_strategy {
    (
        runtime: tokio,
        token: $Token:ident,
        guard: $Guard:ident,
        handle: $Handle:ident,
        noun: $noun:ident,
        child: $child:ident $(,)?
    ) => {
        $crate::token_strategy!(@capabilities "tokio", $Token);

        $crate::token_strategy!(@run_with_timeout $Token, $noun, ::tokio::time::sleep,
            "`Duration::ZERO` cancels at the next tick of tokio's 1 ms timer (work",
            "that is already done still completes); `Duration::MAX` never cancels",
            "(tokio clamps it to a deadline far in the future)."
        );

        $crate::token_strategy!(@start $Token, $Handle, $noun, "as a tokio task", []
            /// # Panics
            ///
            /// Panics if called outside a tokio runtime, as `tokio::spawn` does.
        );

        $crate::token_strategy!(@start_with $noun, $child;
            /// # Panics
            ///
            /// Panics if called outside a tokio runtime, as `tokio::spawn` does.
            pub fn start_with<W, F, T>(signal: $Token, work: W) -> $Handle<T>
            where
                W: ::core::ops::FnOnce($Token) -> F,
                F: ::core::future::Future<Output = ::core::option::Option<T>>
                    + ::core::marker::Send
                    + 'static,
                T: ::core::marker::Send + 'static,
            {
                let task = ::tokio::spawn($crate::catch_panics(work(signal.clone())));
                $Handle {
                    guard: signal.clone().drop_guard(),
                    signal,
                    task,
                }
            }
        );

        $crate::token_strategy!(@handle $noun;
            #[derive(Debug)]
            pub struct $Handle<T> {
                signal: $Token,
                // Cancels the token when the handle is dropped.
                guard: $Guard,
                task: ::tokio::task::JoinHandle<
                    ::core::result::Result<::core::option::Option<T>, $crate::Error>,
                >,
            }
        );

        $crate::token_strategy!(@signal $Handle, $Token, $noun);

        impl<T: ::core::marker::Send + 'static> $Handle<T> {
            /// `true` once the work has returned.
            pub fn is_finished(&self) -> bool {
                self.task.is_finished()
            }

            $crate::token_strategy!(@join $noun;
                pub async fn join(
                    self,
                ) -> ::core::result::Result<$crate::Cancellation<T>, $crate::Error> {
                    // `guard` stays alive while we wait: dropping it would cancel.
                    let $Handle { signal, guard, task } = self;
                    let ended = task.await.map_err(|e| {
                        $crate::Error::Lost(::std::format!("the task ended without a result: {e}"))
                    });
                    let asked = signal.is_cancelled();
                    // The work has returned: no stop was asked, so none is sent
                    // now, to children holding child tokens either.
                    guard.disarm();
                    $crate::cooperative::settle(ended.and_then(|r| r), asked)
                }
            );
        }

        $crate::delegate_cancel_handle!($Handle, cancel = stop_then_join);
    };

    (
        runtime: async_std,
        token: $Token:ident,
        guard: $Guard:ident,
        handle: $Handle:ident,
        noun: $noun:ident,
        child: $child:ident $(,)?
    ) => {
        $crate::token_strategy!(@capabilities "async-std", $Token);

        $crate::token_strategy!(@run_with_timeout $Token, $noun, ::async_std::task::sleep,
            "`Duration::ZERO` cancels at once; `Duration::MAX` never cancels",
            "(async-std's timer, async-io's, treats an overflowing deadline as",
            "\"never\")."
        );

        $crate::token_strategy!(@start $Token, $Handle, $noun, "as an async-std task", []);

        $crate::token_strategy!(@start_with $noun, $child;
            pub fn start_with<W, F, T>(signal: $Token, work: W) -> $Handle<T>
            where
                W: ::core::ops::FnOnce($Token) -> F,
                F: ::core::future::Future<Output = ::core::option::Option<T>>
                    + ::core::marker::Send
                    + 'static,
                T: ::core::marker::Send + 'static,
            {
                let done = ::std::sync::Arc::new(::std::sync::atomic::AtomicBool::new(false));
                let work = work(signal.clone());
                let task = ::async_std::task::spawn({
                    let done = ::std::sync::Arc::clone(&done);
                    async move {
                        let ended = $crate::catch_panics(work).await;
                        // async-std's JoinHandle cannot say whether the task ended.
                        done.store(true, ::std::sync::atomic::Ordering::Release);
                        ended
                    }
                });
                $Handle {
                    guard: signal.clone().drop_guard(),
                    signal,
                    done,
                    task,
                }
            }
        );

        $crate::token_strategy!(@handle $noun;
            #[derive(Debug)]
            pub struct $Handle<T> {
                signal: $Token,
                // Cancels the token when the handle is dropped.
                guard: $Guard,
                done: ::std::sync::Arc<::std::sync::atomic::AtomicBool>,
                task: ::async_std::task::JoinHandle<
                    ::core::result::Result<::core::option::Option<T>, $crate::Error>,
                >,
            }
        );

        $crate::token_strategy!(@signal $Handle, $Token, $noun);

        impl<T: ::core::marker::Send + 'static> $Handle<T> {
            /// `true` once the work has returned.
            pub fn is_finished(&self) -> bool {
                self.done.load(::std::sync::atomic::Ordering::Acquire)
            }

            $crate::token_strategy!(@join $noun;
                pub async fn join(
                    self,
                ) -> ::core::result::Result<$crate::Cancellation<T>, $crate::Error> {
                    // `guard` stays alive while we wait: dropping it would cancel.
                    let $Handle {
                        signal,
                        guard,
                        done: _,
                        task,
                    } = self;
                    let ended = task.await;
                    let asked = signal.is_cancelled();
                    // The work has returned: no stop was asked, so none is sent
                    // now, to children holding child tokens either.
                    guard.disarm();
                    $crate::cooperative::settle(ended, asked)
                }
            );
        }

        $crate::delegate_cancel_handle!($Handle, cancel = stop_then_join);
    };

    (
        runtime: smol,
        token: $Token:ident,
        handle: $Handle:ident,
        noun: $noun:ident,
        child: $child:ident $(,)?
    ) => {
        $crate::token_strategy!(@capabilities "smol", $Token);

        $crate::token_strategy!(@run_with_timeout $Token, $noun, ::async_io::Timer::after,
            "`Duration::ZERO` cancels at once; `Duration::MAX` never cancels",
            "(`Timer::after` treats a deadline past `Instant`'s range as \"never\")."
        );

        $crate::token_strategy!(@start $Token, $Handle, $noun, "on `ex`",
            [ex: &::async_executor::Executor<'_>]
        );

        $crate::token_strategy!(@start_with $noun, $child;
            pub fn start_with<W, F, T>(
                ex: &::async_executor::Executor<'_>,
                signal: $Token,
                work: W,
            ) -> $Handle<T>
            where
                W: ::core::ops::FnOnce($Token) -> F,
                F: ::core::future::Future<Output = ::core::option::Option<T>>
                    + ::core::marker::Send
                    + 'static,
                T: ::core::marker::Send + 'static,
            {
                let task = ex.spawn($crate::catch_panics(work(signal.clone())));
                $Handle {
                    signal,
                    task: ::core::option::Option::Some(task.fallible()),
                }
            }
        );

        $crate::token_strategy!(@handle $noun;
            #[derive(Debug)]
            pub struct $Handle<T> {
                signal: $Token,
                // `Some` until joined. On drop it is detached, not dropped: dropping a
                // smol Task would drop the work at once, before it could clean up.
                task: ::core::option::Option<
                    ::async_executor::FallibleTask<
                        ::core::result::Result<::core::option::Option<T>, $crate::Error>,
                    >,
                >,
            }
        );

        $crate::token_strategy!(@signal $Handle, $Token, $noun);

        impl<T: ::core::marker::Send + 'static> $Handle<T> {
            /// `true` once the work has returned.
            pub fn is_finished(&self) -> bool {
                self.task
                    .as_ref()
                    .is_none_or(::async_executor::FallibleTask::is_finished)
            }

            $crate::token_strategy!(@join $noun;
                pub async fn join(
                    mut self,
                ) -> ::core::result::Result<$crate::Cancellation<T>, $crate::Error> {
                    // Await the task in place: if this future is dropped, `Drop` detaches it.
                    let ::core::option::Option::Some(task) = self.task.as_mut() else {
                        return ::core::result::Result::Err($crate::Error::Lost(
                            "the task was already joined".into(),
                        ));
                    };
                    // `None`: the executor dropped the task before it ended.
                    let ended = task.await.unwrap_or_else(|| {
                        ::core::result::Result::Err($crate::Error::Lost(
                            "the smol executor dropped the task before it ended".into(),
                        ))
                    });
                    self.task = ::core::option::Option::None;
                    $crate::cooperative::settle(ended, self.signal.is_cancelled())
                }
            );
        }

        impl<T> ::core::ops::Drop for $Handle<T> {
            fn drop(&mut self) {
                // Only a handle whose work has not been joined cancels, as the
                // token's drop guard does on the other runtimes.
                if let ::core::option::Option::Some(task) = self.task.take() {
                    self.signal.cancel();
                    // Let the work see the cancel and clean up; see the field comment.
                    task.detach();
                }
            }
        }

        $crate::delegate_cancel_handle!($Handle, cancel = stop_then_join);
    };

    // The pieces every runtime shares: docs written from the names, and the
    // handle's `signal` and `request_stop`.

    (@capabilities $runtime:literal, $Token:ident) => {
        #[doc = ::core::concat!(
            "What a [`", ::core::stringify!($Token), "`] does on ", $runtime,
            ": the same as on every runtime."
        )]
        pub const CAPABILITIES: $crate::Capabilities = crate::CAPABILITIES;
    };

    (@run_with_timeout $Token:ident, $noun:ident, $sleep:path, $($edges:literal),+) => {
        #[doc = ::core::concat!(
            "Runs `work` with a fresh ", ::core::stringify!($noun),
            " until it returns or `timeout` passes; then\ncancels the ",
            ::core::stringify!($noun), " and waits until the work has returned."
        )]
        ///
        /// `Some(v)` is `Completed(v)`, even after the deadline; `None` after the
        /// cancel is `TimedOut`.
        $(#[doc = $edges])+
        ///
        /// # Cancel safety
        ///
        /// Dropping the returned future drops the work where it stands: no cleanup
        /// runs. Use [`start`] to let the work clean up after a cancel you do not
        /// wait for.
        pub async fn run_with_timeout<W, F, T>(
            timeout: ::std::time::Duration,
            work: W,
        ) -> ::core::result::Result<$crate::Outcome<T>, $crate::Error>
        where
            W: ::core::ops::FnOnce($Token) -> F,
            F: ::core::future::Future<Output = ::core::option::Option<T>>,
        {
            run_until($sleep(timeout), work).await
        }

        #[doc = ::core::concat!(
            "Runs `work` with a fresh ", ::core::stringify!($noun),
            " until it returns or `until` completes; then\ncancels the ",
            ::core::stringify!($noun), " and waits until the work has returned. ",
            "[`run_with_timeout`] is this\nwith the runtime's sleep as `until`; ",
            "a precise deadline is `cancel_timer::sleep(d)`\n(on tokio, `cancel_timer::tokio::sleep(d)`, woken by the runtime's reactor)."
        )]
        ///
        /// `Some(v)` is `Completed(v)`, even after `until`; `None` after the
        /// cancel is `TimedOut`. The work is polled before `until`.
        ///
        /// # Cancel safety
        ///
        /// As [`run_with_timeout`].
        pub async fn run_until<U, W, F, T>(
            until: U,
            work: W,
        ) -> ::core::result::Result<$crate::Outcome<T>, $crate::Error>
        where
            U: ::core::future::Future,
            W: ::core::ops::FnOnce($Token) -> F,
            F: ::core::future::Future<Output = ::core::option::Option<T>>,
        {
            let signal = $Token::new();
            $crate::cooperative::run_cooperative(work(signal.clone()), until, || {
                signal.cancel();
            })
            .await
        }
    };

    (@start $Token:ident, $Handle:ident, $noun:ident, $where:literal,
        [$($ex:ident: $Ex:ty)?] $(#[$doc:meta])*
    ) => {
        #[doc = ::core::concat!(
            "Starts `work` ", $where, " with a fresh ", ::core::stringify!($noun),
            "; the handle cancels the\n", ::core::stringify!($noun),
            " on `cancel` and when it is dropped."
        )]
        ///
        $(#[$doc])*
        pub fn start<W, F, T>($($ex: $Ex,)? work: W) -> $Handle<T>
        where
            W: ::core::ops::FnOnce($Token) -> F,
            F: ::core::future::Future<Output = ::core::option::Option<T>>
                + ::core::marker::Send
                + 'static,
            T: ::core::marker::Send + 'static,
        {
            start_with($($ex,)? $Token::new(), work)
        }
    };

    (@start_with $noun:ident, $child:ident; $item:item) => {
        #[doc = ::core::concat!(
            "Like [`start`], but with the ", ::core::stringify!($noun),
            " you give: a clone of one ", ::core::stringify!($noun), ", or\n`parent.",
            ::core::stringify!($child), "()`, lets one `cancel` stop a whole group of tasks.\n",
            "The handle's `request_stop` and `Drop` cancel this ", ::core::stringify!($noun),
            ", so with a\nclone they stop every task that shares it; a child ",
            ::core::stringify!($noun), " stops one."
        )]
        ///
        $item
    };

    (@handle $noun:ident; $item:item) => {
        #[doc = ::core::concat!(
            "A handle to work started with [`start`] or [`start_with`]. Dropping it\n",
            "cancels the ", ::core::stringify!($noun), ", unless the work has been joined."
        )]
        $item
    };

    (@signal $Handle:ident, $Token:ident, $noun:ident) => {
        impl<T> $Handle<T> {
            #[doc = ::core::concat!(
                "The work's ", ::core::stringify!($noun),
                ", to cancel it from elsewhere or derive\nchild ",
                ::core::stringify!($noun), "s from it."
            )]
            pub fn signal(&self) -> &$Token {
                &self.signal
            }

            #[doc = ::core::concat!(
                "Cancels the ", ::core::stringify!($noun), " without waiting; harmless to repeat."
            )]
            pub fn request_stop(&self) {
                self.signal.cancel();
            }
        }
    };

    (@join $noun:ident; $item:item) => {
        #[doc = ::core::concat!(
            "Waits until the work returns, without cancelling the ", ::core::stringify!($noun), "."
        )]
        ///
        /// # Cancel safety
        ///
        #[doc = ::core::concat!(
            "Dropping this future drops the handle, which cancels the ",
            ::core::stringify!($noun), "."
        )]
        $item
    };
}

/// The tests every expansion of [`token_strategy!`](crate::token_strategy)
/// passes, on tokio, async-std and smol: what the conformance suite does
/// not look at (groups, child tokens, a joined handle's silence), written
/// once for every token type.
///
/// Expand it in an integration test of a crate that expands
/// `token_strategy!` for all three runtimes as modules `tokio`, `async_std`
/// and `smol`, and re-exports its token type at its root:
///
/// ```text
/// cancel_contract::token_strategy_tests! {
///     strategy: cancel_token,
///     token: CancellationToken,
///     child: child_token,
/// }
/// ```
///
/// The test crate needs `tokio` (features `macros`, `rt`, `sync`, `time`,
/// `test-util`), `async_std`, `async_executor` and `async_io`; the token,
/// `cancelled()` and `run_until_cancelled(fut)` besides the methods the
/// strategy uses.
#[macro_export]
macro_rules! token_strategy_tests {
    (strategy: $krate:ident, token: $Token:ident, child: $child:ident $(,)?) => {
        /// Work that waits for its token and then reports that it stopped.
        async fn until_cancelled(signal: $krate::$Token) -> ::core::option::Option<()> {
            signal.cancelled().await;
            ::core::option::Option::None
        }

        /// More tasks than `cancel-scope` wakes in one go (64), so the tasks it
        /// woke wake the rest.
        const GROUP: usize = 300;

        #[::tokio::test(start_paused = true)]
        async fn tokio_one_parent_cancel_stops_every_child_task() {
            let parent = $krate::$Token::new();
            let handles: ::std::vec::Vec<_> = (0..GROUP)
                .map(|_| $krate::tokio::start_with(parent.$child(), until_cancelled))
                .collect();
            ::tokio::task::yield_now().await;
            assert!(
                handles.iter().all(|h| !h.is_finished()),
                "nothing stops before the cancel"
            );
            parent.cancel();
            for handle in handles {
                assert_eq!(handle.join().await, Ok($krate::Cancellation::Stopped));
            }
        }

        #[::tokio::test(start_paused = true)]
        async fn tokio_a_handle_on_a_child_stops_only_its_task() {
            let parent = $krate::$Token::new();
            let one = $krate::tokio::start_with(parent.$child(), until_cancelled);
            let other = $krate::tokio::start_with(parent.$child(), until_cancelled);
            one.request_stop();
            assert!(one.signal().is_cancelled());
            assert_eq!(one.join().await, Ok($krate::Cancellation::Stopped));
            ::tokio::time::sleep(::std::time::Duration::from_millis(10)).await;
            assert!(!other.is_finished(), "the sibling runs on");
            assert!(!other.signal().is_cancelled());
            assert!(!parent.is_cancelled());
            assert_eq!(other.cancel().await, Ok($krate::Cancellation::Stopped));
        }

        #[::tokio::test(start_paused = true)]
        async fn tokio_run_until_cancelled_turns_a_step_into_work() {
            // `run_until_cancelled` drops the step when the token is cancelled
            // and returns `None`: exactly the shape the strategy's work returns.
            let outcome = $krate::tokio::run_with_timeout(
                ::std::time::Duration::from_millis(10),
                |signal| async move {
                    let step = ::tokio::time::sleep(::std::time::Duration::from_secs(60));
                    signal.run_until_cancelled(step).await.map(|()| "slept")
                },
            )
            .await;
            assert_eq!(outcome, Ok($krate::Outcome::TimedOut));
        }

        #[::tokio::test(start_paused = true)]
        async fn tokio_dropping_the_handle_cancels_the_token() {
            let (seen, saw) = ::tokio::sync::oneshot::channel();
            let handle = $krate::tokio::start(|signal| async move {
                signal.cancelled().await;
                let _ = seen.send(());
                ::core::option::Option::None::<()>
            });
            drop(handle);
            assert_eq!(saw.await, Ok(()), "the work saw its token cancelled");
        }

        #[::tokio::test(start_paused = true)]
        async fn tokio_joining_finished_work_cancels_nothing() {
            // The work hands out a child and finishes: no stop was asked, so
            // the child must stay uncancelled after `join` (and the handle) are
            // gone.
            let handle = $krate::tokio::start(|signal| async move {
                ::core::option::Option::Some(signal.$child())
            });
            let Ok($krate::Cancellation::Finished(child)) = handle.join().await else {
                panic!("the work finished with its child");
            };
            assert!(!child.is_cancelled());
        }

        #[test]
        fn async_std_one_parent_cancel_stops_every_child_task() {
            ::async_std::task::block_on(async {
                let parent = $krate::$Token::new();
                let handles: ::std::vec::Vec<_> = (0..GROUP)
                    .map(|_| $krate::async_std::start_with(parent.$child(), until_cancelled))
                    .collect();
                parent.cancel();
                for handle in handles {
                    assert_eq!(handle.join().await, Ok($krate::Cancellation::Stopped));
                }
            });
        }

        #[test]
        fn smol_one_parent_cancel_stops_every_child_task() {
            let ex = ::async_executor::Executor::new();
            ::async_io::block_on(ex.run(async {
                let parent = $krate::$Token::new();
                let handles: ::std::vec::Vec<_> = (0..GROUP)
                    .map(|_| $krate::smol::start_with(&ex, parent.$child(), until_cancelled))
                    .collect();
                parent.cancel();
                for handle in handles {
                    assert_eq!(handle.join().await, Ok($krate::Cancellation::Stopped));
                }
            }));
        }
    };
}
