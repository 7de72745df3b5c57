// spire-interop-go-client: a go-spiffe v2 workload used by spire-rs's interop tests. Every
// subcommand talks to a SPIFFE Workload API socket through go-spiffe's own sources, so what it
// accepts is what stock SPIFFE workloads accept. Results are printed as one JSON object.
//
//	x509         -socket S                       X509Source: SVID ID, chain verified against the bundle
//	jwt          -socket S -audience A            JWTSource: fetch a JWT-SVID, validate it against the bundle
//	jwt-validate -socket S -audience A -token T  validate a token from elsewhere against the JWT bundle
//	serve        -socket S -addr A -allow ID     spiffetls mTLS listener, one connection, peer must be ID
//	dial         -socket S -addr A -allow ID     spiffetls mTLS dial, server must be ID
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: spire-interop-go-client x509|jwt|jwt-validate|serve|dial [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	socket := fs.String("socket", "", "Workload API socket path")
	audience := fs.String("audience", "", "JWT audience")
	token := fs.String("token", "", "JWT-SVID to validate")
	addr := fs.String("addr", "", "TCP address for serve/dial")
	allow := fs.String("allow", "", "SPIFFE ID the TLS peer must have")
	timeout := fs.Duration("timeout", 30*time.Second, "overall deadline")
	if err := fs.Parse(os.Args[2:]); err != nil {
		fail(err.Error())
	}
	if *socket == "" {
		fail("-socket is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	addrOpt := "unix://" + *socket

	var out map[string]any
	var err error
	switch os.Args[1] {
	case "x509":
		out, err = fetchX509(ctx, addrOpt)
	case "jwt":
		out, err = fetchJWT(ctx, addrOpt, *audience)
	case "jwt-validate":
		out, err = validateJWT(ctx, addrOpt, *audience, *token)
	case "serve":
		out, err = serve(ctx, addrOpt, *addr, *allow)
	case "dial":
		out, err = dial(ctx, addrOpt, *addr, *allow)
	default:
		fail("unknown subcommand " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "error:", msg)
	os.Exit(1)
}
