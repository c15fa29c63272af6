//! Prints the candidate lattices and per-frame scores for one attack (development aid).
use rampart_watermark::{Attack, EmbedOptions, Picture, embed};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut p = Picture::open(args[0].as_ref()).unwrap();
    embed(
        &mut p,
        "k",
        &"c0ffee42".parse().unwrap(),
        &EmbedOptions::default(),
    )
    .unwrap();
    let a = Attack::by_name(&args[1]).unwrap().apply(&p.image);
    let y = Picture::from_image(a).luma().unwrap();
    rampart_watermark::detection::debug(&y, "k");
}
