package devserver

// The variables mage local reads.
const (
	// EnvPort is the port on 127.0.0.1 to serve on; DefaultPort when
	// unset.
	EnvPort     = "TODOMGMT_PORT"
	DefaultPort = "3000"
	// EnvStore set to "memory" forces the in-memory store.
	EnvStore = "TODOMGMT_LOCAL_STORE"
)

// OptionsFromEnv reads Addr (127.0.0.1 and EnvPort) and Memory (EnvStore)
// through getenv (os.Getenv in the magefile).
func OptionsFromEnv(getenv func(string) string) Options {
	port := getenv(EnvPort)
	if port == "" {
		port = DefaultPort
	}
	return Options{Addr: "127.0.0.1:" + port, Memory: getenv(EnvStore) == "memory"}
}
