package main

import (
	"context"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// fetchX509 gets the default X509-SVID through an X509Source and verifies its chain against
// the bundle the same source delivered.
func fetchX509(ctx context.Context, addr string) (map[string]any, error) {
	source, err := workloadapi.NewX509Source(ctx, workloadapi.WithClientOptions(workloadapi.WithAddr(addr)))
	if err != nil {
		return nil, fmt.Errorf("x509 source: %w", err)
	}
	defer source.Close()
	svid, err := source.GetX509SVID()
	if err != nil {
		return nil, fmt.Errorf("x509 svid: %w", err)
	}
	id, _, err := x509svid.Verify(svid.Certificates, source)
	if err != nil {
		return nil, fmt.Errorf("verify svid chain: %w", err)
	}
	bundle, err := source.GetX509BundleForTrustDomain(id.TrustDomain())
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	leaf := svid.Certificates[0]
	return map[string]any{
		"spiffe_id":          id.String(),
		"issuer":             leaf.Issuer.String(),
		"serial":             leaf.SerialNumber.String(),
		"chain_len":          len(svid.Certificates),
		"bundle_authorities": len(bundle.X509Authorities()),
	}, nil
}
