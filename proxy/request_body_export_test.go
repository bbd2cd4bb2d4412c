package proxy

// BodiesHeld returns the bytes of the in-flight budget request bodies hold.
func (p *Proxy) BodiesHeld() int64 { return p.bodies.Load() }
