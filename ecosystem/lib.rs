//! Empty: the manifest only pins the corpus' versions.
