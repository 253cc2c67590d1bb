pub mod virtuoso;
