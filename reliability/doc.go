// Package reliability has no code of its own: its tests build the pipeline
// binary and feed it hostile input (bad configs, broken model files, odd
// datasets, hostile names, hanging or lying download servers), each built in
// a temporary directory, and assert how each run ends: its exit status, the
// message that says why, no panic and no hang. README.md tabulates the cases.
package reliability
