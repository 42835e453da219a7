//! Route lookup at 10, 100 and 1 000 routes: the cost must not grow with
//! the number of routes (target: at 1 000, at most 2× the cost at 10).
//!
//! `cargo bench --bench router`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lath::layers::{Found, Router, Routes};
use lath::{Method, Request, Respond};

async fn ok(_req: Request, respond: Respond) {
    respond.send("ok");
}

/// `n` routes shaped like a real API: literals, params and wildcards.
fn table(n: usize) -> Routes {
    let mut router = Router::new();
    for i in 0..n {
        router = match i % 4 {
            0 => router.get(&format!("/api/v1/resource{i}"), ok),
            1 => router.get(&format!("/api/v1/resource{i}/:id"), ok),
            2 => router.post(&format!("/api/v1/resource{i}/:id/items/:item"), ok),
            _ => router.get(&format!("/static{i}/*path"), ok),
        };
    }
    router.build().expect("valid routes")
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_lookup");
    for n in [10, 100, 1000] {
        let routes = table(n);
        // A path near the end of the table, with a parameter to decode.
        let path = format!("/api/v1/resource{}/12345", (n - 3) / 4 * 4 + 1);
        assert!(matches!(
            routes.find(&Method::GET, &path),
            Found::Route { .. }
        ));
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| routes.find(black_box(&Method::GET), black_box(path)))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = lookup }
criterion_main!(benches);
