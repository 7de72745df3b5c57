fn main() { println!("skeleton"); }
