pub mod client;
pub mod scenarios;
