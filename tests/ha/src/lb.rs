//! A TCP forwarder standing in for the load balancer (or DNS name) agents are pointed at in
//! an HA deployment: it accepts on one port and pipes each connection to the current
//! backend. Switching the backend affects new connections only, as an LB whose health check
//! dropped a dead server does.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// The forwarder; it runs until the test process exits.
#[derive(Debug, Clone)]
pub struct TcpLoadBalancer {
    port: u16,
    backend: Arc<Mutex<SocketAddr>>,
}

impl TcpLoadBalancer {
    /// Listens on a free loopback port, forwarding to `backend`.
    pub fn start(backend: SocketAddr) -> TcpLoadBalancer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the load balancer");
        let port = listener.local_addr().expect("local addr").port();
        let backend = Arc::new(Mutex::new(backend));
        let target = Arc::clone(&backend);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let to = *target.lock().unwrap();
                thread::spawn(move || {
                    if let Ok(server) = TcpStream::connect(to) {
                        let _ = pipe(client, server);
                    }
                });
            }
        });
        TcpLoadBalancer { port, backend }
    }

    /// The port agents connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends new connections to `backend`.
    pub fn switch_to(&self, backend: SocketAddr) {
        *self.backend.lock().unwrap() = backend;
    }
}

fn pipe(client: TcpStream, server: TcpStream) -> io::Result<()> {
    let (mut client_r, mut server_w) = (client.try_clone()?, server.try_clone()?);
    let upstream = thread::spawn(move || {
        let _ = io::copy(&mut client_r, &mut server_w);
        let _ = server_w.shutdown(Shutdown::Write);
    });
    let (mut server_r, mut client_w) = (server, client);
    let _ = io::copy(&mut server_r, &mut client_w);
    let _ = client_w.shutdown(Shutdown::Both);
    let _ = upstream.join();
    Ok(())
}
