//! The std conformance suite.
use anyhow::Result;
use crate::toolchain::Toolchain;
pub fn run_on_host(_tc: &Toolchain) -> Result<()> { Ok(()) }
