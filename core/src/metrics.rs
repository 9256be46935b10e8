//! Prometheus text exposition (format 0.0.4) for the `/metrics` endpoint every process
//! serves: node, DA node, batcher, executor, challenger. A writer, not a registry: each
//! process renders its current status on every scrape, so nothing can drift out of date.

use std::fmt::Write;

/// `Content-Type` of a `/metrics` response.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up (reset by a restart).
    Counter,
}

/// Metric families being written, in order.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

/// Escapes a label value (`\`, `"`, newline).
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// One family with one sample per `(labels, value)`; `labels` are `(name, value)` pairs.
    pub fn family<'a>(
        &mut self,
        name: &str,
        help: &str,
        kind: Kind,
        samples: impl IntoIterator<Item = (Vec<(&'a str, String)>, f64)>,
    ) -> &mut Self {
        let kind = match kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            self.out.push_str(name);
            if !labels.is_empty() {
                self.out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let _ = write!(self.out, "{k}=\"{}\"", escape(v));
                }
                self.out.push('}');
            }
            let _ = writeln!(self.out, " {value}");
        }
        self
    }

    /// A family with a single unlabelled sample.
    pub fn one(&mut self, name: &str, help: &str, kind: Kind, value: f64) -> &mut Self {
        self.family(name, help, kind, [(vec![], value)])
    }

    /// The text.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_help_type_labels_and_escapes() {
        let mut e = Exposition::new();
        e.one("a_height", "Height.", Kind::Gauge, 7.0).family(
            "b_total",
            "Things.",
            Kind::Counter,
            [(
                vec![("chain", "x\"y".to_string()), ("role", "l1".into())],
                3.0,
            )],
        );
        assert_eq!(
            e.finish(),
            "# HELP a_height Height.\n# TYPE a_height gauge\na_height 7\n\
             # HELP b_total Things.\n# TYPE b_total counter\nb_total{chain=\"x\\\"y\",role=\"l1\"} 3\n"
        );
    }
}
