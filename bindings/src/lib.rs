uniffi::setup_scaffolding!("sangam");
