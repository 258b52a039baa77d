//! `cancel-token` and `cancel-scope` under the suite and the benches: the
//! work listens to its token; a child it spawns gets a child token. The two
//! tokens have the same shape, so one macro writes both adapters.

use cancel_token::CancellationToken;

/// tokio-util's cancellation token (`cancel-token`).
#[derive(Debug)]
pub struct Token;

/// The adapter of a token-shaped strategy: `$crate_` is its crate,
/// `$token` its token type, `$child` the method that makes a child token.
macro_rules! token_subject {
    ($subject:ident, $kind:ident, $crate_:ident, $token:ty, $handle:ident, $child:ident) => {
        /// The work listens to `token`; a child gets a child token, made
        /// only if the work spawns one.
        fn listen<W, H>(rt: H, work: W, token: $token)
            -> impl ::std::future::Future<Output = Option<W::Output>> + Send + 'static
        where
            W: $crate::Play,
            H: ::cancel_harness::runtime::RuntimeHandle,
        {
            let parent = token.clone();
            let child = move || parent.$child().cancelled_owned();
            work.until(rt, token.cancelled_owned(), Some(child))
        }

        $crate::subjects::token::token_subject!(@on $subject, $kind, $crate_, $token, $handle, $child,
            ::cancel_harness::runtime::TokioCurrentThread, tokio);
        $crate::subjects::token::token_subject!(@on $subject, $kind, $crate_, $token, $handle, $child,
            ::cancel_harness::runtime::TokioMultiThread, tokio);
        $crate::subjects::token::token_subject!(@on $subject, $kind, $crate_, $token, $handle, $child,
            ::cancel_harness::runtime::AsyncStd, async_std);
        $crate::subjects::token::token_subject!(@on $subject, $kind, $crate_, $token, $handle, $child,
            ::cancel_harness::runtime::Smol, smol, smol_executor);
    };
    (@on $subject:ident, $kind:ident, $crate_:ident, $token:ty, $handle:ident, $child:ident,
        $runtime:ty, $module:ident $(, $ex:ident)?) => {
        impl $crate::Subject<$runtime> for $subject {
            const KIND: $crate::StrategyKind = $crate::StrategyKind::$kind;
            const CAPABILITIES: ::cancel_contract::Capabilities = $crate_::$module::CAPABILITIES;
            const GROUP_SIGNAL: bool = true;
            type Handle<T: Send + 'static> = $crate_::$module::$handle<T>;
            type Group = $token;

            async fn run_with_timeout<W: $crate::Play>(
                rt: &<$runtime as ::cancel_harness::runtime::Runtime>::Handle,
                timeout: ::std::time::Duration,
                work: W,
            ) -> Result<::cancel_contract::Outcome<W::Output>, ::cancel_contract::Error> {
                let rt = rt.clone();
                $crate_::$module::run_with_timeout(timeout, move |token| listen(rt, work, token)).await
            }

            async fn run_until<W: $crate::Play, U>(
                rt: &<$runtime as ::cancel_harness::runtime::Runtime>::Handle,
                until: U,
                work: W,
            ) -> Result<::cancel_contract::Outcome<W::Output>, ::cancel_contract::Error>
            where
                U: ::std::future::Future<Output = ()> + Send + 'static,
            {
                let rt = rt.clone();
                $crate_::$module::run_until(until, move |token| listen(rt, work, token)).await
            }

            fn start<W: $crate::Play>(
                rt: &<$runtime as ::cancel_harness::runtime::Runtime>::Handle,
                work: W,
            ) -> Self::Handle<W::Output> {
                let rt2 = rt.clone();
                $crate_::$module::start($(&$crate::subjects::$ex(rt),)? move |token| listen(rt2, work, token))
            }

            fn group() -> Self::Group {
                <$token>::new()
            }

            fn start_in<W: $crate::Play>(
                rt: &<$runtime as ::cancel_harness::runtime::Runtime>::Handle,
                group: &Self::Group,
                work: W,
            ) -> Self::Handle<W::Output> {
                let rt2 = rt.clone();
                // Each task holds a child of the group's token: one cancel
                // of the parent reaches them all, a handle's stops only its own.
                $crate_::$module::start_with(
                    $(&$crate::subjects::$ex(rt),)?
                    group.$child(),
                    move |token| listen(rt2, work, token),
                )
            }

            fn stop_group<T: Send + 'static>(group: &Self::Group, _handles: &[Self::Handle<T>]) {
                group.cancel();
            }

            fn checkpoint(group: &Self::Group) -> Option<bool> {
                Some(group.is_cancelled())
            }
        }
    };
}
pub(super) use token_subject;

token_subject!(
    Token,
    Token,
    cancel_token,
    CancellationToken,
    TokenHandle,
    child_token
);
