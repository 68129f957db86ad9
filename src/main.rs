fn main() {
    println!("nianjian");
}
