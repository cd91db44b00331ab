//! The drawing rules, spelled out on windows small enough to compute by hand.
//! `#` is a white pixel (1.0), `.` black (0.0); rows top to bottom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_chart::{ChartConfig, ChartError, ChartImage, ChartRenderer, ChartStream, write_png};
use tradebot_core::{Candle, Timestamp};

fn bar(i: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Candle {
    Candle { open_time: Timestamp::from_nanos(i * 60_000_000_000), open, high, low, close, volume }
}

fn ascii(image: &ChartImage) -> Vec<String> {
    image
        .pixels()
        .chunks(image.width())
        .map(|row| {
            row.iter()
                .map(|&v| match v {
                    0.0 => '.',
                    1.0 => '#',
                    _ => '?',
                })
                .collect()
        })
        .collect()
}

fn assert_grid(image: &ChartImage, expected: &[&str]) {
    let got = ascii(image);
    assert_eq!(got, expected, "\ngot:\n{}\nexpected:\n{}\n", got.join("\n"), expected.join("\n"));
}

/// 3 candles, 9 columns, 14 rows: 10 price rows, 1 gap row, 3 volume rows.
fn small(moving_average: bool) -> ChartRenderer {
    ChartRenderer::new(ChartConfig { height: 14, width: 9, candles: 3, volume_height: 3, moving_average }).unwrap()
}

// Lows/highs span 10..=19 over 10 price rows, so price p lands in row 19 - p.
const A: (f64, f64, f64, f64) = (12.0, 14.0, 10.0, 13.0); // rows: open 7, high 5, low 9, close 6
const B: (f64, f64, f64, f64) = (13.0, 19.0, 12.0, 18.0); // rows: open 6, high 0, low 7, close 1

fn window(c_close: f64) -> Vec<Candle> {
    vec![
        bar(0, A.0, A.1, A.2, A.3, 10.0),        // volume 10/40 * 3 = 0.75 -> 1 row
        bar(1, B.0, B.1, B.2, B.3, 40.0),        // the largest volume: all 3 rows
        bar(2, 17.0, 18.0, 15.0, c_close, 20.0), // 20/40 * 3 = 1.5 -> 2 rows
    ]
}

#[test]
fn three_candles_without_moving_average() {
    // C: open 17 (row 2), high 18 (row 1), low 15 (row 4), close 15 (row 4).
    let image = small(false).render(&window(15.0)).unwrap();
    assert_grid(
        &image,
        &[
            "....#....", // B's high
            "....##.#.", // B's close tick, C's high
            "....#.##.", // C's open tick
            "....#..#.",
            "....#..##", // C's low and close tick
            ".#..#....", // A's high
            ".####....", // A's close tick, B's open tick
            "##..#....", // A's open tick, B's low
            ".#.......",
            ".#.......", // A's low: the window's lowest price fills the last price row
            ".........", // gap between prices and volume
            "....#....", // volume: B = max fills 3 rows
            "....#..#.", // C: 2 rows
            ".#..#..#.", // A: 1 row
        ],
    );
}

#[test]
fn moving_average_joins_the_middle_columns() {
    // Two history bars before the window: only their closes (21, 11) are read.
    // MA(3) of closes: A (21+11+13)/3 = 15 -> row 4, B (11+13+18)/3 = 14 -> row 5,
    // C (13+18+17)/3 = 16 -> row 3. Bresenham joins (4,1)-(5,4)-(3,7).
    let mut candles = vec![bar(-2, 21.0, 21.0, 21.0, 21.0, 1.0), bar(-1, 11.0, 11.0, 11.0, 11.0, 1.0)];
    candles.extend(window(17.0));
    let image = small(true).render(&candles).unwrap();
    assert_grid(
        &image,
        &[
            "....#....",
            "....##.#.",
            "....#.###", // C's open and close ticks, C's high-low bar
            "....#..#.", // C's MA point at (3,7) is on its bar
            ".##.####.", // MA from A at (4,1), then toward C through (4,5),(4,6)
            ".#.##....", // MA (5,3), B's MA point (5,4) on its bar
            ".####....",
            "##..#....",
            ".#.......",
            ".#.......",
            ".........",
            "....#....",
            "....#..#.",
            ".#..#..#.",
        ],
    );

    // Warm-up: without the first history bar, A has no MA(3); the line starts at B.
    let warm = small(true).render(&candles[1..]).unwrap();
    assert_grid(
        &warm,
        &[
            "....#....",
            "....##.#.",
            "....#.###",
            "....#..#.",
            "....####.",
            ".#..#....",
            ".####....",
            "##..#....",
            ".#.......",
            ".#.......",
            ".........",
            "....#....",
            "....#..#.",
            ".#..#..#.",
        ],
    );

    // Earlier bars than the renderer's lookback (2 x 3 - 1 = 5) are ignored.
    let mut longer = vec![bar(-3, 1000.0, 1000.0, 1000.0, 1000.0, 1e9)];
    longer.extend_from_slice(&candles);
    assert_eq!(small(true).render(&longer).unwrap(), image);
}

#[test]
fn blank_columns_are_on_the_left() {
    let r =
        ChartRenderer::new(ChartConfig { height: 14, width: 11, candles: 3, volume_height: 3, moving_average: false })
            .unwrap();
    let wide = ascii(&r.render(&window(15.0)).unwrap());
    let narrow = ascii(&small(false).render(&window(15.0)).unwrap());
    for (w, n) in wide.iter().zip(&narrow) {
        assert_eq!(w, &format!("..{n}"));
    }
}

#[test]
fn flat_window_and_zero_volume_draw_a_middle_line_and_no_volume() {
    // high == low everywhere: every price mark goes to price row (10 - 1) / 2 = 4.
    let flat: Vec<Candle> = (0..5).map(|i| bar(i, 5.0, 5.0, 5.0, 5.0, 0.0)).collect();
    for ma in [false, true] {
        let image = small(ma).render(&flat).unwrap();
        let mut expected = vec!["........."; 14];
        expected[4] = "#########";
        assert_grid(&image, &expected);
    }
}

#[test]
fn no_volume_area_gives_every_row_to_prices() {
    let r =
        ChartRenderer::new(ChartConfig { height: 10, width: 9, candles: 3, volume_height: 0, moving_average: false })
            .unwrap();
    let image = r.render(&window(15.0)).unwrap();
    // Same 10 price rows as above, nothing below them.
    let with_volume = ascii(&small(false).render(&window(15.0)).unwrap());
    assert_eq!(ascii(&image), with_volume[..10]);
}

#[test]
fn bad_candles_are_errors_naming_index_and_field() {
    let r = small(false);
    let mut candles = window(15.0);
    candles[1].high = f64::NAN;
    assert!(matches!(r.render(&candles), Err(ChartError::InvalidPrice { index: 1, field: "high", .. })));

    let mut candles = window(15.0);
    candles[2].low = 0.0;
    assert!(matches!(r.render(&candles), Err(ChartError::InvalidPrice { index: 2, field: "low", .. })));

    let mut candles = window(15.0);
    candles[0].close = f64::NEG_INFINITY;
    assert!(matches!(r.render(&candles), Err(ChartError::InvalidPrice { index: 0, field: "close", .. })));

    let mut candles = window(15.0);
    candles[0].open = -1.0;
    let err = r.render(&candles).unwrap_err();
    assert_eq!(err.to_string(), "candle 0: open = -1 is not a finite positive price");

    let mut candles = window(15.0);
    candles[2].volume = -3.0;
    assert!(matches!(r.render(&candles), Err(ChartError::InvalidVolume { index: 2, .. })));

    let mut candles = window(15.0);
    candles[1].open = 20.0;
    assert!(matches!(r.render(&candles), Err(ChartError::InconsistentBar { index: 1, field: "open", .. })));

    let mut candles = window(15.0);
    candles[1].low = 25.0;
    assert!(matches!(r.render(&candles), Err(ChartError::InconsistentBar { index: 1, field: "low", .. })));

    // The index is the caller's: here the bad bar is the 5th of a longer slice.
    let mut long: Vec<Candle> = (0..4).map(|i| bar(i, 5.0, 5.0, 5.0, 5.0, 1.0)).collect();
    long.extend(window(15.0));
    long[5].close = f64::NAN;
    assert!(matches!(r.render(&long), Err(ChartError::InvalidPrice { index: 5, field: "close", .. })));

    // History bars are read for their close only.
    let ma = small(true);
    let mut history = vec![bar(0, f64::NAN, -1.0, f64::NAN, 12.0, f64::NAN), bar(1, 12.0, 12.0, 12.0, 12.0, 1.0)];
    history.extend(window(15.0));
    assert!(ma.render(&history).is_ok());
    history[0].close = 0.0;
    assert!(matches!(ma.render(&history), Err(ChartError::InvalidPrice { index: 0, field: "close", .. })));
}

#[test]
fn wrong_buffer_and_too_few_candles_are_errors() {
    let r = small(false);
    let mut buf = vec![0.0; 14 * 9 - 1];
    assert!(matches!(r.render_into(&window(15.0), &mut buf), Err(ChartError::BufferSize { expected: 126, got: 125 })));
    assert!(matches!(r.render(&window(15.0)[..2]), Err(ChartError::NotEnoughCandles { needed: 3, got: 2 })));
    let mut stream = ChartStream::from_renderer(r);
    assert!(matches!(stream.render_into(&mut buf), Err(ChartError::BufferSize { .. })));
    let mut buf = vec![7.0; 126];
    stream.push(window(15.0)[0]);
    assert!(!stream.render_into(&mut buf).unwrap());
    assert!(buf.iter().all(|&v| v == 0.0), "warm-up leaves the buffer black");
}

#[test]
fn config_defaults_and_validation() {
    let d = ChartConfig::default();
    assert_eq!((d.height, d.width, d.candles, d.volume_height, d.moving_average), (64, 64, 21, 12, true));
    assert_eq!((d.price_rows(), d.blank_columns(), d.lookback(), d.pixels()), (51, 1, 41, 4096));
    d.validate().unwrap();

    let err = |c: ChartConfig| match c.validate() {
        Err(ChartError::InvalidConfig { field, value, .. }) => (field, value),
        other => panic!("{other:?}"),
    };
    assert_eq!(err(ChartConfig { width: 60, ..d }), ("width", 60)); // 21 candles need 63
    assert_eq!(err(ChartConfig { width: 66, ..d }), ("width", 66)); // 3 blank columns: a whole candle
    assert_eq!(err(ChartConfig { candles: 0, ..d }), ("candles", 0));
    assert_eq!(err(ChartConfig { height: 0, ..d }), ("height", 0));
    assert_eq!(err(ChartConfig { height: 5000, ..d }), ("height", 5000));
    assert_eq!(err(ChartConfig { volume_height: 62, ..d }), ("volume_height", 62));
    ChartConfig { width: 60, candles: 20, ..d }.validate().unwrap(); // JKX's 64 x 60
    ChartConfig { volume_height: 61, ..d }.validate().unwrap(); // 2 price rows + gap
    let msg = ChartRenderer::new(ChartConfig { width: 60, ..d }).unwrap_err().to_string();
    assert_eq!(msg, "invalid chart config: width = 60: must be 3 x candles, plus at most 2 blank columns");
}

#[test]
fn config_deserialises_with_defaults_and_rejects_unknown_fields() {
    let c: ChartConfig = toml::from_str("candles = 20\nwidth = 60").unwrap();
    assert_eq!(c, ChartConfig { candles: 20, width: 60, ..ChartConfig::default() });
    let e = toml::from_str::<ChartConfig>("candle = 20").unwrap_err().to_string();
    assert!(e.contains("unknown field `candle`"), "{e}");
    let json = serde_json::to_string(&ChartConfig::default()).unwrap();
    assert_eq!(serde_json::from_str::<ChartConfig>(&json).unwrap(), ChartConfig::default());
}

#[test]
fn png_round_trips_as_grayscale() {
    let image = small(false).render(&window(15.0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.png");
    write_png(&path, &image).unwrap();

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut data = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut data).unwrap();
    assert_eq!((info.width, info.height, info.color_type), (9, 14, png::ColorType::Grayscale));
    let back: Vec<f32> = data[..info.buffer_size()].iter().map(|&b| f32::from(b) / 255.0).collect();
    assert_eq!(back, image.pixels());

    let missing = dir.path().join("no/such/dir/chart.png");
    assert!(matches!(write_png(&missing, &image), Err(ChartError::Png { .. })));
}
