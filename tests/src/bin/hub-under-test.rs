fn main() {
    std::process::exit(sangam_hub::cli::main());
}
