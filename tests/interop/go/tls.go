package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// serve accepts one mTLS connection on addr, authorizing only the peer `allow`, and answers the
// client's line with its own SPIFFE ID. A refused handshake is reported as an error.
func serve(ctx context.Context, wlAddr, addr, allow string) (map[string]any, error) {
	peer, err := spiffeid.FromString(allow)
	if err != nil {
		return nil, fmt.Errorf("-allow: %w", err)
	}
	listener, err := spiffetls.ListenWithMode(ctx, "tcp", addr,
		spiffetls.MTLSServerWithSourceOptions(tlsconfig.AuthorizeID(peer), workloadapi.WithClientOptions(workloadapi.WithAddr(wlAddr))))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	defer listener.Close()
	// Tell the test we are listening only once the source is ready (Listen waited for it).
	fmt.Println(`{"listening":true}`)
	go func() { <-ctx.Done(); listener.Close() }()
	conn, err := listener.Accept()
	if err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("handshake or read: %w", err)
	}
	peerID, err := spiffetls.PeerIDFromConn(conn)
	if err != nil {
		return nil, fmt.Errorf("peer id: %w", err)
	}
	if _, err := fmt.Fprintf(conn, "hello %s\n", peerID); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return map[string]any{"peer_id": peerID.String(), "received": strings.TrimSpace(line)}, nil
}

// dial connects to addr over mTLS, requiring the server to be `allow`, and exchanges one line.
func dial(ctx context.Context, wlAddr, addr, allow string) (map[string]any, error) {
	peer, err := spiffeid.FromString(allow)
	if err != nil {
		return nil, fmt.Errorf("-allow: %w", err)
	}
	conn, err := spiffetls.DialWithMode(ctx, "tcp", addr,
		spiffetls.MTLSClientWithSourceOptions(tlsconfig.AuthorizeID(peer), workloadapi.WithClientOptions(workloadapi.WithAddr(wlAddr))))
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintln(conn, "ping"); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	peerID, err := spiffetls.PeerIDFromConn(conn)
	if err != nil {
		return nil, fmt.Errorf("peer id: %w", err)
	}
	return map[string]any{"peer_id": peerID.String(), "reply": strings.TrimSpace(reply)}, nil
}
