//! Record parsing throughput on a real log: header + field tokenizing, and
//! with every value decoded. Set `AUDITSTREAM_BENCH_LOG` to a large log
//! (`../shared/corpus/capture.sh large 300` writes /tmp/corpus-large/); the
//! default is the small RAW log in testdata/.

use std::hint::black_box;

use auditstream::{Record, Value};
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    memchr::memchr_iter(b'\n', data).scan(0, move |start, end| {
        let l = &data[*start..=end];
        *start = end + 1;
        Some(l)
    })
}

/// Header + every field's key and raw value.
fn tokenize(data: &[u8]) -> (usize, usize) {
    let (mut fields, mut acc) = (0, 0);
    for line in lines(data) {
        let r = Record::parse_line(line).expect("corpus parses");
        acc += r.id().serial as usize;
        for f in r.fields() {
            fields += 1;
            acc += f.key().len() + f.raw().len();
        }
    }
    (fields, acc)
}

/// Header + every field's value decoded (hex strings, nested msg='').
fn decode(data: &[u8]) -> (usize, usize) {
    let (mut fields, mut acc) = (0, 0);
    for line in lines(data) {
        let r = Record::parse_line(line).expect("corpus parses");
        for f in r.fields() {
            fields += 1;
            acc += match f.value() {
                Value::Bytes(b) => b.len(),
                Value::Nested(n) => n.map(|f| f.raw().len()).sum(),
                _ => 1,
            };
        }
    }
    (fields, acc)
}

fn bench(c: &mut Criterion) {
    let (_, data) = common::load();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(data.len() as u64));
    if data.len() > 50 << 20 {
        g.sample_size(10);
    }
    g.bench_function("memchr_lines", |b| {
        b.iter(|| lines(black_box(&data)).count())
    });
    g.bench_function("tokenize", |b| b.iter(|| tokenize(black_box(&data))));
    g.bench_function("decode_all", |b| b.iter(|| decode(black_box(&data))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
