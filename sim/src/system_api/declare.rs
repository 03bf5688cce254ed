//! The `ic0!` macro: each System API function is declared once, with the contexts the spec's
//! availability table allows it in (its letters: `*`, `* s`, or `I G U RQ NRQ CQ Ry Rt C F T`),
//! and the macro produces both the module's rows of the table and its linker definitions, each
//! one checking the table before it runs.

/// The set of execution kinds one cell of the spec's availability table names.
macro_rules! contexts {
    (*) => {
        $crate::system_api::availability::ALL
    };
    (* s) => {
        $crate::system_api::availability::ALL.with($crate::system_api::ApiType::Start)
    };
    ($($letter:ident)+) => {
        $crate::system_api::availability::Contexts::of(&[
            $($crate::system_api::availability::letters::$letter),+
        ])
    };
}

/// The value type a declared function returns (`()` when the declaration names none).
macro_rules! ic0_return {
    () => {
        ()
    };
    ($ret:ty) => {
        $ret
    };
}

/// Declares a module's `ic0` functions: `FUNCTIONS` (its rows of the availability table) and
/// `add` (defines them in a linker).
///
/// `bytes { name [contexts] = |ctx| body; }` declares the pair `name_size` / `name_copy` over the
/// bytes `body` gives (`Err(why)` traps with a contract violation naming the function);
/// `fn name(c, args..) -> ret [contexts] { body }` declares one function, `c` being the caller.
macro_rules! ic0 {
    (
        $(bytes {
            $($bytes:ident [$($bytes_ctx:tt)+] = |$source_ctx:ident| $source:expr;)*
        })?
        $(fn $name:ident($c:ident $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)? [$($ctx:tt)+] $body:block)*
    ) => {
        /// This module's rows of the availability table.
        pub(super) const FUNCTIONS: &[$crate::system_api::availability::Ic0Function] = &[
            $($(
                $crate::system_api::availability::Ic0Function {
                    name: concat!(stringify!($bytes), "_size"),
                    contexts: contexts!($($bytes_ctx)+),
                },
                $crate::system_api::availability::Ic0Function {
                    name: concat!(stringify!($bytes), "_copy"),
                    contexts: contexts!($($bytes_ctx)+),
                },
            )*)?
            $(
                $crate::system_api::availability::Ic0Function {
                    name: stringify!($name),
                    contexts: contexts!($($ctx)+),
                },
            )*
        ];

        /// Defines this module's functions in `linker`.
        #[allow(unused_mut)]
        pub(super) fn add(
            linker: &mut ::wasmi::Linker<$crate::system_api::HostState>,
        ) -> Result<(), ::wasmi::errors::LinkerError> {
            #[allow(unused_imports)]
            use $crate::system_api::{bytes_copy, bytes_size, check, Ctx};
            $($({
                fn source($source_ctx: &$crate::system_api::MsgContext) -> Result<&[u8], &'static str> {
                    $source
                }
                const CONTEXTS: $crate::system_api::availability::Contexts = contexts!($($bytes_ctx)+);
                const SIZE: &str = concat!(stringify!($bytes), "_size");
                const COPY: &str = concat!(stringify!($bytes), "_copy");
                linker.func_wrap("ic0", SIZE, |c: Ctx<'_>| -> Result<i32, ::wasmi::Error> {
                    check(&c, SIZE, CONTEXTS)?;
                    bytes_size(&c, SIZE, source)
                })?;
                linker.func_wrap(
                    "ic0",
                    COPY,
                    |mut c: Ctx<'_>, dst: i32, offset: i32, size: i32| -> Result<(), ::wasmi::Error> {
                        check(&c, COPY, CONTEXTS)?;
                        bytes_copy(&mut c, COPY, source, dst as u32, offset as u32, size as u32)
                    },
                )?;
            })*)?
            $(
                linker.func_wrap(
                    "ic0",
                    stringify!($name),
                    |mut $c: Ctx<'_> $(, $arg: $ty)*| -> Result<ic0_return!($($ret)?), ::wasmi::Error> {
                        check(&$c, stringify!($name), const { contexts!($($ctx)+) })?;
                        $body
                    },
                )?;
            )*
            Ok(())
        }
    };
}
