fn main() {} // placeholder: the forms benchmark is being written
