module test::shapes {
    enum Shape has copy, drop {
        Circle { r: u64 },
        Rect { w: u64, h: u64 },
        Empty,
    }

    public fun circle(r: u64): Shape { Shape::Circle { r } }
    public fun rect(w: u64, h: u64): Shape { Shape::Rect { w, h } }
    public fun empty(): Shape { Shape::Empty }

    public fun area(s: Shape): u64 {
        match (s) {
            Shape::Circle { r } => 3 * r * r,
            Shape::Rect { w, h } => w * h,
            Shape::Empty => 0,
        }
    }

    public fun is_rect(s: &Shape): bool { s is Shape::Rect }

    public fun widen(s: &mut Shape, dw: u64) {
        match (s) {
            Shape::Rect { w, h: _ } => *w = *w + dw,
            _ => {},
        }
    }

    public fun rect_width_after(w: u64, h: u64, dw: u64): u64 {
        let s = rect(w, h);
        widen(&mut s, dw);
        area(s) / h
    }
}
