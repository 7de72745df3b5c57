package main

import (
	"context"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// fetchJWT fetches a JWT-SVID through a JWTSource and validates it against the JWT bundle the
// same source delivered.
func fetchJWT(ctx context.Context, addr, audience string) (map[string]any, error) {
	if audience == "" {
		return nil, fmt.Errorf("-audience is required")
	}
	source, err := workloadapi.NewJWTSource(ctx, workloadapi.WithClientOptions(workloadapi.WithAddr(addr)))
	if err != nil {
		return nil, fmt.Errorf("jwt source: %w", err)
	}
	defer source.Close()
	svid, err := source.FetchJWTSVID(ctx, jwtsvid.Params{Audience: audience})
	if err != nil {
		return nil, fmt.Errorf("fetch jwt-svid: %w", err)
	}
	token := svid.Marshal()
	validated, err := jwtsvid.ParseAndValidate(token, source, []string{audience})
	if err != nil {
		return nil, fmt.Errorf("validate own jwt-svid: %w", err)
	}
	return map[string]any{
		"spiffe_id": validated.ID.String(),
		"audience":  validated.Audience,
		"token":     token,
	}, nil
}

// validateJWT validates a token minted elsewhere against the JWT bundle from the Workload API.
func validateJWT(ctx context.Context, addr, audience, token string) (map[string]any, error) {
	if audience == "" || token == "" {
		return nil, fmt.Errorf("-audience and -token are required")
	}
	source, err := workloadapi.NewJWTSource(ctx, workloadapi.WithClientOptions(workloadapi.WithAddr(addr)))
	if err != nil {
		return nil, fmt.Errorf("jwt source: %w", err)
	}
	defer source.Close()
	svid, err := jwtsvid.ParseAndValidate(token, source, []string{audience})
	if err != nil {
		return nil, fmt.Errorf("validate jwt-svid: %w", err)
	}
	return map[string]any{"spiffe_id": svid.ID.String(), "audience": svid.Audience}, nil
}
