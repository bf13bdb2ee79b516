//! The condition language: text → tokens → AST → type-checked `Cond` tree.

pub mod lexer;
pub mod parser;
pub mod typecheck;
