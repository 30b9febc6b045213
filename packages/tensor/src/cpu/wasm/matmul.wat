;; f32 matrix multiply, C (+)= A @ B, in WebAssembly SIMD128 (no relaxed-simd).
;;
;; Compiled to bytes at build time by scripts/build-wasm.mjs (wabt); see matmul.ts
;; for the JavaScript side (copy-in, thread fan-out, copy-out).
;;
;; Structure (GotoBLAS/BLIS style, adapted to what V8 generates well):
;;
;;   run                 claims work chunks (rectangles of C of one batch entry) off a
;;                       shared atomic counter, so the calling thread and any number of
;;                       workers can share one job and balance themselves. A job's kind
;;                       field sends the same threads to the fused attention kernels
;;                       (further down, with the softmax, SwiGLU, RMSNorm and elementwise
;;                       kernels the CPU backend runs on this memory).
;;   gemm_block          the usual loop nest over one rectangle of C:
;;                         jc (NC columns) > pc (KC of k, B block packed into L2)
;;                         > ic (MC rows of A) > jr (16-column panel, stays in L1)
;;                         > ir (2-row strip of A) > kernel.
;;   kernel_2x16         the register-blocked micro-kernel: a 2 x 16 tile of C held in
;;                       eight v128 accumulators.
;;   kernel_dot_2x4      for A with few rows and transposed B (linear layer at decode
;;                       time): dot products against B read in place, no packing.
;;   pack_b / pack_a_t   panel packing (B always, except for few-row A; A only when
;;                       transposed), with zero padding of ragged panels.
;;
;; Why 2 x 16: V8's TurboFan hoists every load of a loop iteration ahead of the
;; arithmetic, so all B vectors and all A broadcasts of one k step are live at once,
;; on top of the accumulators and one product temporary. x64 gives V8 15 usable xmm
;; registers. 2 x 16 needs 8 accumulators + 4 B + 2 A + 1 temp = 15 and runs
;; without spills; 4 x 12 or 6 x 8 spill accumulators to the stack every iteration
;; and measured markedly slower. Between 2 x 16 and 4 x 8 (also 15 registers),
;; 2 x 16 issues fewer address computations per step and was ~20% faster.
;; For the same reason the k loop is not unrolled: unrolling lets the scheduler hoist
;; twice the loads and spill.
;;
;; Memory is one shared linear memory imported from JavaScript. All strides below are
;; in BYTES. Addresses are treated as unsigned 32-bit values.
;;
;; Layout used by the JavaScript driver:
;;   [JOB, JOB+228)             job descriptor (fields listed at $run and $attention_chunk)
;;   workspace per thread       $workspace_bytes each, 64-byte aligned:
;;     +0                       edge tile: a 2 x 16 result tile, row pitch 64 bytes
;;     +256                     packed B block: KC x NC floats (256 KiB)
;;     +256 + KC*NC*4           packed A block (transposed A only): MC x KC floats (128 KiB)
;; (KC, NC, MC: see the globals below.)
;;   data                       A, B, C as copied in by the driver.

(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Cache blocking (elements). KC x 16 floats of B (16 KiB) form the panel reused from
  ;; L1 across a whole column of 2-row strips; the KC x NC packed B block (256 KiB) and an
  ;; MC x KC block of A (128 KiB) stay in the 1 MiB L2 of current x64 cores.
  (global $KC i32 (i32.const 256))
  (global $NC i32 (i32.const 256))
  (global $MC i32 (i32.const 128))   ;; must be even (A is packed in 2-row strips)

  ;; Bytes of workspace each thread needs: edge tile (256), packed B, packed A.
  (func $workspace_bytes (export "workspace_bytes") (result i32)
    (i32.add (i32.const 256)
      (i32.shl (i32.add (i32.mul (global.get $KC) (global.get $NC))
                        (i32.mul (global.get $MC) (global.get $KC)))
               (i32.const 2))))

  ;; ---------------------------------------------------------------------------------
  ;; Micro-kernel: the 2 x 16 tile at $pc (row pitch $ldc) gets
  ;;   sum over p < $kc of A(row r, p) * Bpanel(p, 0..15),  r = 0, 1
  ;; A(0, p) is at $pa + p*$aps and A(1, p) at $pa + $ars + p*$aps, which serves both
  ;; A read in place (row-major: $ars = lda*4, $aps = 4) and packed A ($ars = 4,
  ;; $aps = 8). Passing $ars = 0 duplicates row 0, used for a last odd row so that no
  ;; address past the end of A is ever formed.
  ;; B(p, 0..15) are 16 contiguous floats at $pb + p*$bps: a packed panel ($bps = 64)
  ;; or, for a few rows of A, row-major B read in place ($bps = row stride).
  ;; $add = 0 stores the tile, $add = 1 adds it to what is in C. $kc >= 1.
  ;; ---------------------------------------------------------------------------------
  (func $kernel_2x16
    (param $pa i32) (param $ars i32) (param $aps i32)
    (param $pb i32) (param $bps i32) (param $kc i32)
    (param $pc i32) (param $ldc i32) (param $add i32)
    (local $pa1 i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $a0 v128) (local $a1 v128)
    (local.set $pa1 (i32.add (local.get $pa) (local.get $ars)))
    (loop $k
      (local.set $b0 (v128.load offset=0 (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $b2 (v128.load offset=32 (local.get $pb)))
      (local.set $b3 (v128.load offset=48 (local.get $pb)))
      ;; load32_splat becomes a single vbroadcastss from memory.
      (local.set $a0 (v128.load32_splat (local.get $pa)))
      (local.set $a1 (v128.load32_splat (local.get $pa1)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
      (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $a0) (local.get $b2))))
      (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $a0) (local.get $b3))))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
      (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $a1) (local.get $b2))))
      (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $a1) (local.get $b3))))
      (local.set $pa (i32.add (local.get $pa) (local.get $aps)))
      (local.set $pa1 (i32.add (local.get $pa1) (local.get $aps)))
      (local.set $pb (i32.add (local.get $pb) (local.get $bps)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (local.get $add)
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load offset=0 (local.get $pc))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))
        (local.set $c02 (f32x4.add (local.get $c02) (v128.load offset=32 (local.get $pc))))
        (local.set $c03 (f32x4.add (local.get $c03) (v128.load offset=48 (local.get $pc))))))
    (v128.store offset=0 (local.get $pc) (local.get $c00))
    (v128.store offset=16 (local.get $pc) (local.get $c01))
    (v128.store offset=32 (local.get $pc) (local.get $c02))
    (v128.store offset=48 (local.get $pc) (local.get $c03))
    (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
    (if (local.get $add)
      (then
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load offset=0 (local.get $pc))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $pc))))
        (local.set $c12 (f32x4.add (local.get $c12) (v128.load offset=32 (local.get $pc))))
        (local.set $c13 (f32x4.add (local.get $c13) (v128.load offset=48 (local.get $pc))))))
    (v128.store offset=0 (local.get $pc) (local.get $c10))
    (v128.store offset=16 (local.get $pc) (local.get $c11))
    (v128.store offset=32 (local.get $pc) (local.get $c12))
    (v128.store offset=48 (local.get $pc) (local.get $c13)))

  ;; Copies the top-left $rows x $cols of an edge tile (row pitch 64) into C, storing
  ;; or adding. Edge tiles are computed whole into the workspace so the kernel never
  ;; needs masked stores; only this scalar copy knows about ragged edges.
  (func $tile_to_c
    (param $tile i32) (param $c i32) (param $ldc i32)
    (param $rows i32) (param $cols i32) (param $add i32)
    (local $j i32) (local $v f32)
    (loop $row
      (local.set $j (i32.const 0))
      (loop $col
        (local.set $v (f32.load (i32.add (local.get $tile) (i32.shl (local.get $j) (i32.const 2)))))
        (if (local.get $add)
          (then (local.set $v (f32.add (local.get $v)
            (f32.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))))))
        (f32.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
        (br_if $col (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $cols))))
      (local.set $tile (i32.add (local.get $tile) (i32.const 64)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (br_if $row (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; ---------------------------------------------------------------------------------
  ;; Dot-product kernel for a few rows of A times transposed B (B stored [n, k]: a
  ;; linear layer's weight applied to one or a few tokens). With so few rows of A,
  ;; packing B would cost as much as the product, so B is read in place.
  ;; C(r, c), r < 2, c < 4, is the dot product over $kc elements of row r of A
  ;; (contiguous, at $pa + r*$ars) and column c of B (contiguous, at $pb + c*$bcs).
  ;; Columns c >= $cols re-read column 0 so nothing past B is touched; $ars = 0 does
  ;; the same for a single row. The 2 x 4 result is stored or added ($add) at $pc
  ;; with row pitch $ldc. Same register budget as the 2 x 16 kernel: 8 + 2 + 4 + 1.
  ;; ---------------------------------------------------------------------------------
  (func $kernel_dot_2x4
    (param $pa i32) (param $ars i32) (param $pb i32) (param $bcs i32) (param $cols i32)
    (param $kc i32) (param $pc i32) (param $ldc i32) (param $add i32)
    (local $pa1 i32) (local $pb1 i32) (local $pb2 i32) (local $pb3 i32) (local $p i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $a0 v128) (local $a1 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $t0 v128) (local $t1 v128)
    (local.set $pa1 (i32.add (local.get $pa) (local.get $ars)))
    (local.set $pb1 (select (i32.add (local.get $pb) (local.get $bcs)) (local.get $pb)
                            (i32.gt_u (local.get $cols) (i32.const 1))))
    (local.set $pb2 (select (i32.add (local.get $pb) (i32.shl (local.get $bcs) (i32.const 1))) (local.get $pb)
                            (i32.gt_u (local.get $cols) (i32.const 2))))
    (local.set $pb3 (select (i32.add (local.get $pb) (i32.mul (local.get $bcs) (i32.const 3))) (local.get $pb)
                            (i32.gt_u (local.get $cols) (i32.const 3))))
    (block $tail
      (loop $quad
        (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
        (local.set $a0 (v128.load (local.get $pa)))
        (local.set $a1 (v128.load (local.get $pa1)))
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $b1 (v128.load (local.get $pb1)))
        (local.set $b2 (v128.load (local.get $pb2)))
        (local.set $b3 (v128.load (local.get $pb3)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
        (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $a0) (local.get $b2))))
        (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $a0) (local.get $b3))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
        (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $a1) (local.get $b2))))
        (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $a1) (local.get $b3))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pa1 (i32.add (local.get $pa1) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (local.set $pb1 (i32.add (local.get $pb1) (i32.const 16)))
        (local.set $pb2 (i32.add (local.get $pb2) (i32.const 16)))
        (local.set $pb3 (i32.add (local.get $pb3) (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $quad)))
    ;; The last kc mod 4 elements: single-lane loads leave the other lanes zero.
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $p) (local.get $kc)))
        (local.set $a0 (v128.load32_zero (local.get $pa)))
        (local.set $a1 (v128.load32_zero (local.get $pa1)))
        (local.set $b0 (v128.load32_zero (local.get $pb)))
        (local.set $b1 (v128.load32_zero (local.get $pb1)))
        (local.set $b2 (v128.load32_zero (local.get $pb2)))
        (local.set $b3 (v128.load32_zero (local.get $pb3)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
        (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $a0) (local.get $b2))))
        (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $a0) (local.get $b3))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
        (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $a1) (local.get $b2))))
        (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $a1) (local.get $b3))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
        (local.set $pb1 (i32.add (local.get $pb1) (i32.const 4)))
        (local.set $pb2 (i32.add (local.get $pb2) (i32.const 4)))
        (local.set $pb3 (i32.add (local.get $pb3) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $one)))
    ;; Horizontal sums, four columns at once: interleave the accumulators of columns
    ;; (0, 1) and (2, 3) and add, then the two halves, leaving [C(r,0) .. C(r,3)].
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c00) (local.get $c01))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c00) (local.get $c01))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c02) (local.get $c03))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c02) (local.get $c03))))
    (local.set $c00 (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
    (local.set $t0 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c10) (local.get $c11))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c10) (local.get $c11))))
    (local.set $t1 (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c12) (local.get $c13))
      (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c12) (local.get $c13))))
    (local.set $c10 (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
    (if (local.get $add)
      (then (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))))
    (v128.store (local.get $pc) (local.get $c00))
    (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))
    (if (local.get $add)
      (then (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $pc))))))
    (v128.store (local.get $pc) (local.get $c10)))

  ;; ---------------------------------------------------------------------------------
  ;; Packing of B. The kb x nb block of B with element (p, j) at $src + p*$rs + j*$cs
  ;; becomes 16-column panels: panel q (kb*64 bytes at $dst + q*kb*64) holds, for each
  ;; p in order, B(p, 16q .. 16q+15), zero-filled past column nb. Zero padding lets the
  ;; kernel run full width on the last panel; the junk columns are dropped by tile_to_c.
  ;; ---------------------------------------------------------------------------------

  ;; Full panel, rows contiguous ($cs = 4: B not transposed): a 64-byte copy per p.
  (func $pack_b_rows (param $src i32) (param $rs i32) (param $kb i32) (param $dst i32)
    (loop $p
      (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $src)))
      (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
      (v128.store offset=32 (local.get $dst) (v128.load offset=32 (local.get $src)))
      (v128.store offset=48 (local.get $dst) (v128.load offset=48 (local.get $src)))
      (local.set $src (i32.add (local.get $src) (local.get $rs)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br_if $p (local.tee $kb (i32.sub (local.get $kb) (i32.const 1))))))

  ;; Full panel, columns contiguous ($rs = 4: B transposed, i.e. stored [n, k], the
  ;; linear-layer weight case). Reads 4 columns x 4 k-steps as four vectors and
  ;; transposes them in registers, so both reads and writes stay vector-wide.
  (func $pack_b_cols (param $src i32) (param $cs i32) (param $kb i32) (param $dst i32)
    (local $g i32) (local $p i32) (local $d i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (loop $group   ;; 4 groups of 4 columns
      (local.set $s0 (i32.add (local.get $src) (i32.mul (i32.shl (local.get $g) (i32.const 2)) (local.get $cs))))
      (local.set $s1 (i32.add (local.get $s0) (local.get $cs)))
      (local.set $s2 (i32.add (local.get $s1) (local.get $cs)))
      (local.set $s3 (i32.add (local.get $s2) (local.get $cs)))
      (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $g) (i32.const 4))))
      (local.set $p (i32.const 0))
      (block $tail
        (loop $quad
          (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kb)))
          ;; r_c = column c, k-steps p..p+3
          (local.set $r0 (v128.load (local.get $s0)))
          (local.set $r1 (v128.load (local.get $s1)))
          (local.set $r2 (v128.load (local.get $s2)))
          (local.set $r3 (v128.load (local.get $s3)))
          ;; 4x4 transpose: interleave pairs of columns, then pairs of pairs.
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
          (v128.store offset=0 (local.get $d)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
          (v128.store offset=64 (local.get $d)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
          (v128.store offset=128 (local.get $d)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
          (v128.store offset=192 (local.get $d)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
          (local.set $s0 (i32.add (local.get $s0) (i32.const 16)))
          (local.set $s1 (i32.add (local.get $s1) (i32.const 16)))
          (local.set $s2 (i32.add (local.get $s2) (i32.const 16)))
          (local.set $s3 (i32.add (local.get $s3) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 256)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $quad)))
      ;; kb not a multiple of 4: the last few k-steps one by one.
      (block $done
        (loop $one
          (br_if $done (i32.ge_u (local.get $p) (local.get $kb)))
          (f32.store offset=0 (local.get $d) (f32.load (local.get $s0)))
          (f32.store offset=4 (local.get $d) (f32.load (local.get $s1)))
          (f32.store offset=8 (local.get $d) (f32.load (local.get $s2)))
          (f32.store offset=12 (local.get $d) (f32.load (local.get $s3)))
          (local.set $s0 (i32.add (local.get $s0) (i32.const 4)))
          (local.set $s1 (i32.add (local.get $s1) (i32.const 4)))
          (local.set $s2 (i32.add (local.get $s2) (i32.const 4)))
          (local.set $s3 (i32.add (local.get $s3) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (i32.const 64)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $one)))
      (br_if $group (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (i32.const 4)))))

  ;; Any strides, $w <= 16 valid columns; used for the ragged last panel and for
  ;; strides that fit neither fast path. Scalar, but it touches at most one panel
  ;; per KC x NC block.
  (func $pack_b_any
    (param $src i32) (param $rs i32) (param $cs i32)
    (param $kb i32) (param $w i32) (param $dst i32)
    (local $j i32) (local $s i32)
    (loop $p
      (local.set $j (i32.const 0))
      (local.set $s (local.get $src))
      (loop $col
        (f32.store (local.get $dst)
          (if (result f32) (i32.lt_u (local.get $j) (local.get $w))
            (then (f32.load (local.get $s)))
            (else (f32.const 0))))
        (local.set $s (i32.add (local.get $s) (local.get $cs)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br_if $col (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 16))))
      (local.set $src (i32.add (local.get $src) (local.get $rs)))
      (br_if $p (local.tee $kb (i32.sub (local.get $kb) (i32.const 1))))))

  ;; Packs a whole kb x nb block (nb >= 1, kb >= 1) into consecutive panels.
  (func $pack_b
    (param $src i32) (param $rs i32) (param $cs i32)
    (param $kb i32) (param $nb i32) (param $dst i32)
    (local $j i32) (local $w i32) (local $s i32)
    (loop $panel
      (local.set $w (i32.sub (local.get $nb) (local.get $j)))
      (local.set $s (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $cs))))
      (if (i32.ge_u (local.get $w) (i32.const 16))
        (then
          (if (i32.eq (local.get $cs) (i32.const 4))
            (then (call $pack_b_rows (local.get $s) (local.get $rs) (local.get $kb) (local.get $dst)))
            (else
              (if (i32.eq (local.get $rs) (i32.const 4))
                (then (call $pack_b_cols (local.get $s) (local.get $cs) (local.get $kb) (local.get $dst)))
                (else (call $pack_b_any (local.get $s) (local.get $rs) (local.get $cs)
                                        (local.get $kb) (i32.const 16) (local.get $dst)))))))
        (else (call $pack_b_any (local.get $s) (local.get $rs) (local.get $cs)
                                (local.get $kb) (local.get $w) (local.get $dst))))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kb) (i32.const 6))))
      (br_if $panel (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $nb)))))

  ;; ---------------------------------------------------------------------------------
  ;; Packing of A, only for transposed A (stored [k, m], element (i, p) at
  ;; $src + i*4 + p*$cs). Read in place, such A would make the kernel step a whole
  ;; row of A^T per k-step, and with power-of-two m those rows alias into a few L1
  ;; sets. Packed layout: 2-row strips of kb*8 bytes, strip s at $dst + s*kb*8 holding
  ;; A(2s, p), A(2s+1, p) for each p; an odd last row is paired with zeros.
  ;; Row-major A needs no packing: the kernel streams two of its rows directly.
  ;; ---------------------------------------------------------------------------------
  (func $pack_a_t
    (param $src i32) (param $cs i32) (param $kb i32) (param $mb i32) (param $dst i32)
    (local $strip i32) (local $g i32) (local $s i32) (local $d i32) (local $p i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $strip (i32.shl (local.get $kb) (i32.const 3)))
    ;; 16 rows (8 strips) at a time: one 64-byte read per k-step feeds 8 output
    ;; streams that each advance sequentially. (Walking one row of A^T across all
    ;; strips instead writes at a stride of kb*8 bytes, which aliases in L1.)
    (block $groups_done
      (loop $group
        (br_if $groups_done (i32.gt_u (i32.add (local.get $g) (i32.const 16)) (local.get $mb)))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $g) (i32.const 2))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (i32.shr_u (local.get $g) (i32.const 1)) (local.get $strip))))
        (local.set $p (local.get $kb))
        (loop $p_loop
          (local.set $v0 (v128.load offset=0 (local.get $s)))
          (local.set $v1 (v128.load offset=16 (local.get $s)))
          (local.set $v2 (v128.load offset=32 (local.get $s)))
          (local.set $v3 (v128.load offset=48 (local.get $s)))
          (v128.store64_lane 0 (local.get $d) (local.get $v0))
          (v128.store64_lane 1 (i32.add (local.get $d) (local.get $strip)) (local.get $v0))
          (v128.store64_lane 0 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 2))) (local.get $v1))
          (v128.store64_lane 1 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 3))) (local.get $v1))
          (v128.store64_lane 0 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 4))) (local.get $v2))
          (v128.store64_lane 1 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 5))) (local.get $v2))
          (v128.store64_lane 0 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 6))) (local.get $v3))
          (v128.store64_lane 1 (i32.add (local.get $d) (i32.mul (local.get $strip) (i32.const 7))) (local.get $v3))
          (local.set $s (i32.add (local.get $s) (local.get $cs)))
          (local.set $d (i32.add (local.get $d) (i32.const 8)))
          (br_if $p_loop (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $group)))
    (if (i32.lt_u (local.get $g) (local.get $mb))
      (then
        (call $pack_a_t_pairs
          (i32.add (local.get $src) (i32.shl (local.get $g) (i32.const 2)))
          (local.get $cs) (local.get $kb) (i32.sub (local.get $mb) (local.get $g))
          (i32.add (local.get $dst) (i32.mul (i32.shr_u (local.get $g) (i32.const 1)) (local.get $strip)))
          (local.get $strip)))))

  ;; The last (< 16) rows of $pack_a_t, one pair of rows at a time.
  (func $pack_a_t_pairs
    (param $src i32) (param $cs i32) (param $kb i32) (param $mb i32) (param $dst i32) (param $strip i32)
    (local $s i32) (local $d i32) (local $i i32)
    (loop $p
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      (local.set $i (i32.const 2))
      (block $pairs_done
        (loop $pair
          (br_if $pairs_done (i32.gt_u (local.get $i) (local.get $mb)))
          (i64.store (local.get $d) (i64.load (local.get $s)))
          (local.set $s (i32.add (local.get $s) (i32.const 8)))
          (local.set $d (i32.add (local.get $d) (local.get $strip)))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $pair)))
      (if (i32.and (local.get $mb) (i32.const 1))
        (then
          (f32.store offset=0 (local.get $d) (f32.load (local.get $s)))
          (f32.store offset=4 (local.get $d) (f32.const 0))))
      (local.set $src (i32.add (local.get $src) (local.get $cs)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
      (br_if $p (local.tee $kb (i32.sub (local.get $kb) (i32.const 1))))))

  ;; ---------------------------------------------------------------------------------
  ;; C (+)= A @ B for one m x n rectangle (m, n, k >= 1).
  ;;   A(i, p) at $a + i*$ars + p*$acs;  B(p, j) at $b + p*$brs + j*$bcs;
  ;;   C(i, j) at $c + i*$ldc + j*4.
  ;; $accum = 1 adds to the existing C; otherwise the first k block stores and later
  ;; k blocks add.
  ;;
  ;; B is consumed in one of three ways ($mode):
  ;;   0  packed into 16-column panels, then the 2 x 16 kernel (the general case);
  ;;   1  few rows (m <= 16), row-major B: the 2 x 16 kernel reads B rows in place;
  ;;   2  few rows, transposed B, row-major A: the 2 x 4 dot-product kernel.
  ;; With few rows each packed element would be used only m times, so packing would
  ;; cost about as much as the multiply itself.
  ;; ---------------------------------------------------------------------------------
  (func $gemm_block
    (param $a i32) (param $ars i32) (param $acs i32)
    (param $b i32) (param $brs i32) (param $bcs i32)
    (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $k i32)
    (param $accum i32) (param $ws i32)
    (local $tile i32) (local $wsb i32) (local $wsa i32) (local $packa i32) (local $mode i32)
    (local $jc i32) (local $nb i32) (local $pc i32) (local $kb i32) (local $add i32)
    (local $ic i32) (local $mb i32) (local $jr i32) (local $cols i32) (local $ir i32) (local $rows i32)
    (local $abase i32) (local $kars i32) (local $kaps i32) (local $strip i32)
    (local $pb i32) (local $bps i32) (local $pa i32) (local $cp i32)
    (local.set $tile (local.get $ws))
    (local.set $wsb (i32.add (local.get $ws) (i32.const 256)))
    (local.set $wsa (i32.add (local.get $wsb) (i32.shl (i32.mul (global.get $KC) (global.get $NC)) (i32.const 2))))
    ;; A whose k direction is not contiguous gets packed (see $pack_a_t); that is only
    ;; ever the transposed layout, where the row stride is 4.
    (local.set $packa (i32.and (i32.ne (local.get $acs) (i32.const 4))
                               (i32.eq (local.get $ars) (i32.const 4))))
    (if (i32.le_u (local.get $m) (i32.const 16))
      (then
        (if (i32.eq (local.get $bcs) (i32.const 4))
          (then (local.set $mode (i32.const 1)))
          (else
            (if (i32.and (i32.eq (local.get $brs) (i32.const 4)) (i32.eq (local.get $acs) (i32.const 4)))
              (then (local.set $mode (i32.const 2))))))))
    (loop $jc_loop
      (local.set $nb (select (global.get $NC) (i32.sub (local.get $n) (local.get $jc))
                             (i32.gt_u (i32.sub (local.get $n) (local.get $jc)) (global.get $NC))))
      (local.set $pc (i32.const 0))
      (loop $pc_loop
        (local.set $kb (select (global.get $KC) (i32.sub (local.get $k) (local.get $pc))
                               (i32.gt_u (i32.sub (local.get $k) (local.get $pc)) (global.get $KC))))
        (if (i32.eqz (local.get $mode))
          (then
            (call $pack_b
              (i32.add (local.get $b) (i32.add (i32.mul (local.get $pc) (local.get $brs))
                                               (i32.mul (local.get $jc) (local.get $bcs))))
              (local.get $brs) (local.get $bcs) (local.get $kb) (local.get $nb) (local.get $wsb))))
        (local.set $add (i32.or (local.get $accum) (i32.ne (local.get $pc) (i32.const 0))))
        (local.set $ic (i32.const 0))
        (loop $ic_loop
          (local.set $mb (select (global.get $MC) (i32.sub (local.get $m) (local.get $ic))
                                 (i32.gt_u (i32.sub (local.get $m) (local.get $ic)) (global.get $MC))))
          (if (local.get $packa)
            (then
              (call $pack_a_t
                (i32.add (local.get $a) (i32.add (i32.shl (local.get $ic) (i32.const 2))
                                                 (i32.mul (local.get $pc) (local.get $acs))))
                (local.get $acs) (local.get $kb) (local.get $mb) (local.get $wsa))
              (local.set $abase (local.get $wsa))
              (local.set $kars (i32.const 4))
              (local.set $kaps (i32.const 8))
              (local.set $strip (i32.shl (local.get $kb) (i32.const 3))))
            (else
              (local.set $abase (i32.add (local.get $a)
                (i32.add (i32.mul (local.get $ic) (local.get $ars))
                         (i32.mul (local.get $pc) (local.get $acs)))))
              (local.set $kars (local.get $ars))
              (local.set $kaps (local.get $acs))
              (local.set $strip (i32.shl (local.get $ars) (i32.const 1)))))
          (if (i32.eq (local.get $mode) (i32.const 2))
            (then
              ;; Dot-product sweep: 4 columns of C at a time, each B column read once.
              (local.set $jr (i32.const 0))
              (loop $jr_dot
                (local.set $cols (select (i32.const 4) (i32.sub (local.get $nb) (local.get $jr))
                                         (i32.gt_u (i32.sub (local.get $nb) (local.get $jr)) (i32.const 4))))
                (local.set $pb (i32.add (local.get $b)
                  (i32.add (i32.shl (local.get $pc) (i32.const 2))
                           (i32.mul (i32.add (local.get $jc) (local.get $jr)) (local.get $bcs)))))
                (local.set $pa (local.get $abase))
                (local.set $cp (i32.add (local.get $c)
                  (i32.add (i32.mul (local.get $ic) (local.get $ldc))
                           (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
                (local.set $ir (i32.const 0))
                (loop $ir_dot
                  (local.set $rows (select (i32.const 2) (i32.const 1)
                                           (i32.ge_u (i32.sub (local.get $mb) (local.get $ir)) (i32.const 2))))
                  (if (i32.and (i32.eq (local.get $rows) (i32.const 2)) (i32.eq (local.get $cols) (i32.const 4)))
                    (then
                      (call $kernel_dot_2x4 (local.get $pa) (local.get $kars) (local.get $pb) (local.get $bcs)
                                            (i32.const 4) (local.get $kb)
                                            (local.get $cp) (local.get $ldc) (local.get $add)))
                    (else
                      (call $kernel_dot_2x4 (local.get $pa)
                                            (select (local.get $kars) (i32.const 0) (i32.eq (local.get $rows) (i32.const 2)))
                                            (local.get $pb) (local.get $bcs) (local.get $cols) (local.get $kb)
                                            (local.get $tile) (i32.const 64) (i32.const 0))
                      (call $tile_to_c (local.get $tile) (local.get $cp) (local.get $ldc)
                                       (local.get $rows) (local.get $cols) (local.get $add))))
                  (local.set $pa (i32.add (local.get $pa) (local.get $strip)))
                  (local.set $cp (i32.add (local.get $cp) (i32.shl (local.get $ldc) (i32.const 1))))
                  (br_if $ir_dot (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 2))) (local.get $mb))))
                (br_if $jr_dot (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const 4))) (local.get $nb)))))
            (else
              ;; 2 x 16 sweep: B panel outer (it stays in L1), 2-row strips of A inner.
              (local.set $jr (i32.const 0))
              (local.set $pb (local.get $wsb))
              (loop $jr_loop
                (local.set $cols (select (i32.const 16) (i32.sub (local.get $nb) (local.get $jr))
                                         (i32.gt_u (i32.sub (local.get $nb) (local.get $jr)) (i32.const 16))))
                (local.set $bps (i32.const 64))
                (if (local.get $mode)
                  (then
                    (local.set $pb (i32.add (local.get $b)
                      (i32.add (i32.mul (local.get $pc) (local.get $brs))
                               (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
                    (if (i32.eq (local.get $cols) (i32.const 16))
                      (then (local.set $bps (local.get $brs)))
                      (else
                        ;; A ragged last panel is packed so the kernel never reads past B.
                        (call $pack_b_any (local.get $pb) (local.get $brs) (i32.const 4)
                                          (local.get $kb) (local.get $cols) (local.get $wsb))
                        (local.set $pb (local.get $wsb))))))
                (local.set $pa (local.get $abase))
                (local.set $cp (i32.add (local.get $c)
                  (i32.add (i32.mul (local.get $ic) (local.get $ldc))
                           (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
                (local.set $ir (i32.const 0))
                (loop $ir_loop
                  (local.set $rows (select (i32.const 2) (i32.const 1)
                                           (i32.ge_u (i32.sub (local.get $mb) (local.get $ir)) (i32.const 2))))
                  (if (i32.and (i32.eq (local.get $rows) (i32.const 2)) (i32.eq (local.get $cols) (i32.const 16)))
                    (then
                      (call $kernel_2x16 (local.get $pa) (local.get $kars) (local.get $kaps)
                                         (local.get $pb) (local.get $bps) (local.get $kb)
                                         (local.get $cp) (local.get $ldc) (local.get $add)))
                    (else
                      (call $kernel_2x16 (local.get $pa)
                                         (select (local.get $kars) (i32.const 0) (i32.eq (local.get $rows) (i32.const 2)))
                                         (local.get $kaps)
                                         (local.get $pb) (local.get $bps) (local.get $kb)
                                         (local.get $tile) (i32.const 64) (i32.const 0))
                      (call $tile_to_c (local.get $tile) (local.get $cp) (local.get $ldc)
                                       (local.get $rows) (local.get $cols) (local.get $add))))
                  (local.set $pa (i32.add (local.get $pa) (local.get $strip)))
                  (local.set $cp (i32.add (local.get $cp) (i32.shl (local.get $ldc) (i32.const 1))))
                  (br_if $ir_loop (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 2))) (local.get $mb))))
                ;; Next packed panel (mode 0; mode 1 recomputes $pb).
                (local.set $pb (i32.add (local.get $pb) (i32.shl (local.get $kb) (i32.const 6))))
                (br_if $jr_loop (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const 16))) (local.get $nb))))))
          (br_if $ic_loop (i32.lt_u (local.tee $ic (i32.add (local.get $ic) (global.get $MC))) (local.get $m))))
        (br_if $pc_loop (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (global.get $KC))) (local.get $k))))
      (br_if $jc_loop (i32.lt_u (local.tee $jc (i32.add (local.get $jc) (global.get $NC))) (local.get $n)))))

  ;; ---------------------------------------------------------------------------------
  ;; Runs chunks of the job at $job until none are left, using workspace $ws.
  ;; Every participating thread calls this with the same $job and its own $ws. The job's
  ;; kind says what a chunk is: this one loop claims them for every kernel.
  ;;
  ;; Job descriptor (i32 fields, byte offsets; strides in bytes):
  ;;   0  next chunk (atomic counter, alone on its cache line)
  ;;   64 chunk count   68 row chunks per batch entry   72 column chunks per entry
  ;;   76 rows per chunk   80 columns per chunk
  ;;   84 m   88 n   92 k
  ;;   96 A   100 A row stride   104 A k stride   108 A batch stride
  ;;   112 B   116 B k stride   120 B column stride   124 B batch stride (0: shared B)
  ;;   128 C   132 C row stride   136 C batch stride
  ;;   140 accumulate (0/1)
  ;;   148 kind: 0 this matmul; 1 and 2 attention forward and backward (fields at
  ;;       $attention_chunk), which share the chunk counter and the threads
  ;;   144 symmetric (0/1): C is known to be symmetric (m = n), so only columns from a
  ;;       chunk's first row on are computed; the driver mirrors the rest. Chunks wholly
  ;;       below the diagonal are skipped, so with narrow row chunks about half of C
  ;;       (plus half a chunk's height along the diagonal) is ever multiplied out.
  ;; Chunk t covers batch entry t / (rc*cc), row chunk (t mod rc*cc) / cc and column
  ;; chunk t mod cc, so consecutive chunks share A rows.
  ;; ---------------------------------------------------------------------------------
  ;; Returns how many chunks this thread ran (diagnostics only).
  (func (export "run") (param $job i32) (param $ws i32) (result i32)
    (local $done i32) (local $t i32) (local $kind i32)
    (local.set $kind (i32.load offset=148 (local.get $job)))
    (loop $next
      (local.set $t (i32.atomic.rmw.add (local.get $job) (i32.const 1)))
      (if (i32.ge_u (local.get $t) (i32.load offset=64 (local.get $job))) (then (return (local.get $done))))
      (local.set $done (i32.add (local.get $done) (i32.const 1)))
      (if (i32.eq (local.get $kind) (i32.const 1))
        (then (call $attention_chunk (local.get $job) (local.get $t) (local.get $ws)))
        (else (if (i32.eq (local.get $kind) (i32.const 2))
          (then (call $attention_backward_chunk (local.get $job) (local.get $t) (local.get $ws)))
          (else (call $matmul_chunk (local.get $job) (local.get $t) (local.get $ws))))))
      (br $next))
    (unreachable))

  ;; Chunk $t of a matmul job (see the layout above).
  (func $matmul_chunk (param $job i32) (param $t i32) (param $ws i32)
    (local $per i32) (local $bi i32) (local $r i32) (local $ci i32) (local $cj i32)
    (local $i0 i32) (local $j0 i32) (local $mlen i32) (local $nlen i32)
    (local.set $per (i32.mul (i32.load offset=68 (local.get $job)) (i32.load offset=72 (local.get $job))))
    (local.set $bi (i32.div_u (local.get $t) (local.get $per)))
    (local.set $r (i32.sub (local.get $t) (i32.mul (local.get $bi) (local.get $per))))
    (local.set $ci (i32.div_u (local.get $r) (i32.load offset=72 (local.get $job))))
    (local.set $cj (i32.sub (local.get $r) (i32.mul (local.get $ci) (i32.load offset=72 (local.get $job)))))
    (local.set $i0 (i32.mul (local.get $ci) (i32.load offset=76 (local.get $job))))
    (local.set $j0 (i32.mul (local.get $cj) (i32.load offset=80 (local.get $job))))
    (local.set $mlen (i32.sub (i32.load offset=84 (local.get $job)) (local.get $i0)))
    (if (i32.gt_u (local.get $mlen) (i32.load offset=76 (local.get $job)))
      (then (local.set $mlen (i32.load offset=76 (local.get $job)))))
    (local.set $nlen (i32.sub (i32.load offset=88 (local.get $job)) (local.get $j0)))
    (if (i32.gt_u (local.get $nlen) (i32.load offset=80 (local.get $job)))
      (then (local.set $nlen (i32.load offset=80 (local.get $job)))))
    (if (i32.and (i32.load offset=144 (local.get $job)) (i32.lt_u (local.get $j0) (local.get $i0)))
      (then
        ;; wholly below the diagonal: nothing to compute
        (if (i32.le_u (i32.add (local.get $j0) (local.get $nlen)) (local.get $i0)) (then (return)))
        (local.set $nlen (i32.sub (local.get $nlen) (i32.sub (local.get $i0) (local.get $j0))))
        (local.set $j0 (local.get $i0))))
    (call $gemm_block
      ;; A rectangle origin
      (i32.add (i32.load offset=96 (local.get $job))
        (i32.add (i32.mul (local.get $bi) (i32.load offset=108 (local.get $job)))
                 (i32.mul (local.get $i0) (i32.load offset=100 (local.get $job)))))
      (i32.load offset=100 (local.get $job))
      (i32.load offset=104 (local.get $job))
      ;; B rectangle origin
      (i32.add (i32.load offset=112 (local.get $job))
        (i32.add (i32.mul (local.get $bi) (i32.load offset=124 (local.get $job)))
                 (i32.mul (local.get $j0) (i32.load offset=120 (local.get $job)))))
      (i32.load offset=116 (local.get $job))
      (i32.load offset=120 (local.get $job))
      ;; C rectangle origin
      (i32.add (i32.load offset=128 (local.get $job))
        (i32.add (i32.mul (local.get $bi) (i32.load offset=136 (local.get $job)))
          (i32.add (i32.mul (local.get $i0) (i32.load offset=132 (local.get $job)))
                   (i32.shl (local.get $j0) (i32.const 2)))))
      (i32.load offset=132 (local.get $job))
      (local.get $mlen) (local.get $nlen) (i32.load offset=92 (local.get $job))
      (i32.load offset=140 (local.get $job))
      (local.get $ws)))

  ;; ---- fused causal attention: forward and backward, row by row (backward in fours) ----
  ;;
  ;; A query row's scores live in the thread's workspace (up to 8 floats per visible key), so
  ;; no T x T matrix is ever stored: the row's scores, their exponentials and the output
  ;; are computed while its keys and values sit in L1. Dot products and updates run over
  ;; the head dimension in four-float vectors (the driver requires headDim % 4 = 0).
  ;;
  ;; Job fields (after the matmul's; byte addresses, sizes in elements):
  ;;   0 next chunk (shared counter)   64 chunk count   148 kind (1 forward, 2 backward)
  ;;   152 q  156 k  160 v  164 out  168 lse  172 dOut  176 dq  180 dk  184 dv  188 row max
  ;;   192 tq  196 S (key rows allocated)  200 kvLength  204 nHeads  208 nKvHeads
  ;;   212 headDim  216 scale (f32)  220 query rows per chunk  224 row chunks per head
  ;; q, out, dOut, dq are [B, tq, nHeads * headDim]; k, v, dk, dv [B, S, nKvHeads * headDim];
  ;; lse and row max [B, nHeads, tq]. Query i sits at position kvLength - tq + i and sees
  ;; keys 0..that position.

;; x . y_t for the four rows y_t = $y + t * $ys (t = 0..3), over $hd4 bytes, as one vector:
  ;; four independent accumulator chains, then a transposing reduction.
  (func $dots4 (param $x i32) (param $y i32) (param $ys i32) (param $hd4 i32) (result v128)
    (local $c i32) (local $xv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $y1 i32) (local $y2 i32) (local $y3 i32)
    (local.set $y1 (i32.add (local.get $y) (local.get $ys)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $ys)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $ys)))
    (loop $vec
      (local.set $xv (v128.load align=4 (i32.add (local.get $x) (local.get $c))))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load align=4 (i32.add (local.get $y) (local.get $c))))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load align=4 (i32.add (local.get $y1) (local.get $c))))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load align=4 (i32.add (local.get $y2) (local.get $c))))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load align=4 (i32.add (local.get $y3) (local.get $c))))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $vec (i32.lt_u (local.get $c) (local.get $hd4))))
    ;; [a0 lanes 0+2, 1+3, a1 lanes 0+2, 1+3], the same for a2, a3; then pairs summed
    (local.set $a0 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a1))
                              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a1))))
    (local.set $a2 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a2) (local.get $a3))
                              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a2) (local.get $a3))))
    (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a0) (local.get $a2))
               (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a0) (local.get $a2))))

  ;; x . y over $hd4 bytes.
  (func $dot (param $x i32) (param $y i32) (param $hd4 i32) (result f32)
    (local $c i32) (local $acc v128)
    (loop $vec
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (v128.load align=4 (i32.add (local.get $x) (local.get $c)))
                   (v128.load align=4 (i32.add (local.get $y) (local.get $c))))))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $vec (i32.lt_u (local.get $c) (local.get $hd4))))
    (local.set $acc (f32x4.add (local.get $acc) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $acc) (local.get $acc))))
    (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc))))

  ;; x . y_j for the $n rows y_j = $y + j * $ys, times $scale, into the floats at $ws; returns
  ;; their maximum. Four rows at a time, then one by one.
  (func $dot_rows (param $x i32) (param $y i32) (param $ys i32) (param $n i32) (param $hd4 i32) (param $scale f32) (param $ws i32) (result f32)
    (local $j i32) (local $n4 i32) (local $s v128) (local $mv v128) (local $m f32) (local $s1 f32)
    (local.set $mv (f32x4.splat (f32.const -inf)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $s (f32x4.mul (call $dots4 (local.get $x) (local.get $y) (local.get $ys) (local.get $hd4)) (f32x4.splat (local.get $scale))))
        (v128.store align=4 (i32.add (local.get $ws) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
        (local.set $mv (f32x4.max (local.get $mv) (local.get $s)))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $ys) (i32.const 2))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $four)))
    (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mv)) (f32x4.extract_lane 1 (local.get $mv)))
                           (f32.max (f32x4.extract_lane 2 (local.get $mv)) (f32x4.extract_lane 3 (local.get $mv)))))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s1 (f32.mul (call $dot (local.get $x) (local.get $y) (local.get $hd4)) (local.get $scale)))
        (f32.store (i32.add (local.get $ws) (i32.shl (local.get $j) (i32.const 2))) (local.get $s1))
        (local.set $m (f32.max (local.get $m) (local.get $s1)))
        (local.set $y (i32.add (local.get $y) (local.get $ys)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $one)))
    (local.get $m))

  ;; o = sum_j w_j y_j over the $n rows y_j = $y + j * $ys with weights w_j at $w, over
  ;; $hd4 bytes at $o. Four rows per pass over o.
  (func $weighted_rows (param $w i32) (param $y i32) (param $ys i32) (param $n i32) (param $hd4 i32) (param $o i32)
    (local $j i32) (local $c i32) (local $n4 i32) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $acc v128)
    (loop $zero
      (v128.store align=4 (i32.add (local.get $o) (local.get $c)) (v128.const i32x4 0 0 0 0))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br_if $zero (i32.lt_u (local.get $c) (local.get $hd4))))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (loop $four
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $w0 (v128.load32_splat align=4 (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $w1 (v128.load32_splat offset=4 align=4 (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $w2 (v128.load32_splat offset=8 align=4 (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $w3 (v128.load32_splat offset=12 align=4 (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $y1 (i32.add (local.get $y) (local.get $ys)))
        (local.set $y2 (i32.add (local.get $y1) (local.get $ys)))
        (local.set $y3 (i32.add (local.get $y2) (local.get $ys)))
        (local.set $c (i32.const 0))
        (loop $vec
          (local.set $acc (f32x4.add
            (f32x4.add (f32x4.mul (local.get $w0) (v128.load align=4 (i32.add (local.get $y) (local.get $c))))
                       (f32x4.mul (local.get $w1) (v128.load align=4 (i32.add (local.get $y1) (local.get $c)))))
            (f32x4.add (f32x4.mul (local.get $w2) (v128.load align=4 (i32.add (local.get $y2) (local.get $c))))
                       (f32x4.mul (local.get $w3) (v128.load align=4 (i32.add (local.get $y3) (local.get $c)))))))
          (v128.store align=4 (i32.add (local.get $o) (local.get $c))
            (f32x4.add (v128.load align=4 (i32.add (local.get $o) (local.get $c))) (local.get $acc)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $vec (i32.lt_u (local.get $c) (local.get $hd4))))
        (local.set $y (i32.add (local.get $y3) (local.get $ys)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $w0 (v128.load32_splat align=4 (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $c (i32.const 0))
        (loop $vec1
          (v128.store align=4 (i32.add (local.get $o) (local.get $c))
            (f32x4.add (v128.load align=4 (i32.add (local.get $o) (local.get $c)))
                       (f32x4.mul (local.get $w0) (v128.load align=4 (i32.add (local.get $y) (local.get $c))))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $vec1 (i32.lt_u (local.get $c) (local.get $hd4))))
        (local.set $y (i32.add (local.get $y) (local.get $ys)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $one)))
    )

  ;; The forward of query rows [i0, i1) of head bh = b * nHeads + h: out = softmax(scores) V,
  ;; and per row its maximum score and the sum of exponentials (the driver forms the
  ;; log-sum-exp: wasm has no log).
  (func $attention_rows (param $job i32) (param $bh i32) (param $i0 i32) (param $i1 i32) (param $ws i32)
    (local $tq i32) (local $hd4 i32) (local $b i32) (local $h i32) (local $g i32) (local $kvs i32) (local $qs i32)
    (local $kb i32) (local $vb i32) (local $qa i32) (local $oa i32) (local $n i32) (local $c i32)
    (local $m f32) (local $sum f32) (local $p v128) (local $at i32)
    (local.set $tq (i32.load offset=192 (local.get $job)))
    (local.set $hd4 (i32.shl (i32.load offset=212 (local.get $job)) (i32.const 2)))
    (local.set $b (i32.div_u (local.get $bh) (i32.load offset=204 (local.get $job))))
    (local.set $h (i32.rem_u (local.get $bh) (i32.load offset=204 (local.get $job))))
    (local.set $g (i32.div_u (local.get $h)
      (i32.div_u (i32.load offset=204 (local.get $job)) (i32.load offset=208 (local.get $job)))))
    (local.set $kvs (i32.mul (i32.load offset=208 (local.get $job)) (local.get $hd4)))
    (local.set $qs (i32.mul (i32.load offset=204 (local.get $job)) (local.get $hd4)))
    ;; key/value row 0 of this head's kv group
    (local.set $kb (i32.add (i32.mul (i32.mul (local.get $b) (i32.load offset=196 (local.get $job))) (local.get $kvs))
                            (i32.mul (local.get $g) (local.get $hd4))))
    (local.set $vb (i32.add (i32.load offset=160 (local.get $job)) (local.get $kb)))
    (local.set $kb (i32.add (i32.load offset=156 (local.get $job)) (local.get $kb)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $i0) (local.get $i1)))
        (local.set $at (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $i0)))
        (local.set $qa (i32.add (i32.load offset=152 (local.get $job))
          (i32.add (i32.mul (local.get $at) (local.get $qs)) (i32.mul (local.get $h) (local.get $hd4)))))
        (local.set $oa (i32.add (local.get $qa) (i32.sub (i32.load offset=164 (local.get $job)) (i32.load offset=152 (local.get $job)))))
        (local.set $n (i32.add (i32.sub (i32.load offset=200 (local.get $job)) (local.get $tq)) (i32.add (local.get $i0) (i32.const 1))))
        (local.set $m (call $dot_rows (local.get $qa) (local.get $kb) (local.get $kvs) (local.get $n) (local.get $hd4)
          (f32.load offset=216 (local.get $job)) (local.get $ws)))
        (local.set $sum (f32.demote_f64 (call $exp_shift (local.get $ws) (local.get $n) (f32.const 1) (local.get $m))))
        ;; out row = sum_j p_j v_j / sum
        (call $weighted_rows (local.get $ws) (local.get $vb) (local.get $kvs) (local.get $n) (local.get $hd4) (local.get $oa))
        (local.set $p (f32x4.splat (f32.div (f32.const 1) (local.get $sum))))
        (local.set $c (i32.const 0))
        (block $d2 (loop $norm
          (br_if $d2 (i32.ge_u (local.get $c) (local.get $hd4)))
          (v128.store align=4 (i32.add (local.get $oa) (local.get $c))
            (f32x4.mul (local.get $p) (v128.load align=4 (i32.add (local.get $oa) (local.get $c)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $norm)))
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $bh) (local.get $tq)) (local.get $i0)) (i32.const 2)))
        (f32.store (i32.add (i32.load offset=168 (local.get $job)) (local.get $at)) (local.get $sum))
        (f32.store (i32.add (i32.load offset=188 (local.get $job)) (local.get $at)) (local.get $m))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
        (br $row))))

  ;; Forward chunk $t: query rows [r * R, (r + 1) * R) of head t / rowChunks, r = t mod rowChunks.
  (func $attention_chunk (param $job i32) (param $t i32) (param $ws i32)
    (local $bh i32) (local $i0 i32) (local $i1 i32)
    (local.set $bh (i32.div_u (local.get $t) (i32.load offset=224 (local.get $job))))
    (local.set $i0 (i32.mul (i32.sub (local.get $t) (i32.mul (local.get $bh) (i32.load offset=224 (local.get $job))))
                            (i32.load offset=220 (local.get $job))))
    (local.set $i1 (i32.add (local.get $i0) (i32.load offset=220 (local.get $job))))
    (if (i32.gt_u (local.get $i1) (i32.load offset=192 (local.get $job)))
      (then (local.set $i1 (i32.load offset=192 (local.get $job)))))
    (call $attention_rows (local.get $job) (local.get $bh) (local.get $i0) (local.get $i1) (local.get $ws)))

  ;; Backward chunk $t: every query row of the heads sharing kv group g = t mod nKvHeads of
  ;; batch entry b = t / nKvHeads (dK and dV of that group are written by this chunk alone;
  ;; dq, dk and dv must be zero on entry). Per row i, with P recomputed
  ;; from the saved log-sum-exp and rowDot_i = dOut_i . out_i:
  ;;   dp_ij = dOut_i . v_j,  ds_ij = p_ij (dp_ij - rowDot_i) scale,
  ;;   dq_i = sum_j ds_ij k_j,  dv_j += p_ij dOut_i,  dk_j += ds_ij q_i.
  ;; Rows go in groups of four: their p and ds rows sit in the workspace (8 floats per key),
  ;; so each dK and dV row is read and written once per group instead of once per row.
  (func $attention_backward_chunk (param $job i32) (param $t i32) (param $ws i32)
    (local $b i32) (local $g i32) (local $tq i32) (local $hd4 i32) (local $group i32) (local $kvs i32) (local $qs i32) (local $kvOff i32)
    (local $h i32) (local $hEnd i32) (local $i0 i32) (local $rows i32) (local $r i32) (local $n i32) (local $nmax i32)
    (local $j i32) (local $c i32) (local $rowOff i32) (local $pRow i32) (local $dsRow i32) (local $dsBase i32) (local $pitch i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $do0 i32) (local $do1 i32) (local $do2 i32) (local $do3 i32)
    (local $ka i32) (local $va i32) (local $dka i32) (local $dva i32) (local $rowDot f32) (local $scale f32) (local $at i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $b (i32.div_u (local.get $t) (i32.load offset=208 (local.get $job))))
    (local.set $g (i32.rem_u (local.get $t) (i32.load offset=208 (local.get $job))))
    (local.set $tq (i32.load offset=192 (local.get $job)))
    (local.set $hd4 (i32.shl (i32.load offset=212 (local.get $job)) (i32.const 2)))
    (local.set $scale (f32.load offset=216 (local.get $job)))
    (local.set $group (i32.div_u (i32.load offset=204 (local.get $job)) (i32.load offset=208 (local.get $job))))
    (local.set $kvs (i32.mul (i32.load offset=208 (local.get $job)) (local.get $hd4)))
    (local.set $qs (i32.mul (i32.load offset=204 (local.get $job)) (local.get $hd4)))
    (local.set $kvOff (i32.add (i32.mul (i32.mul (local.get $b) (i32.load offset=196 (local.get $job))) (local.get $kvs))
                               (i32.mul (local.get $g) (local.get $hd4))))
    (local.set $ka (i32.add (i32.load offset=156 (local.get $job)) (local.get $kvOff)))
    (local.set $va (i32.add (i32.load offset=160 (local.get $job)) (local.get $kvOff)))
    (local.set $h (i32.mul (local.get $g) (local.get $group)))
    (local.set $hEnd (i32.add (local.get $h) (local.get $group)))
    (block $heads_done
      (loop $head
        (br_if $heads_done (i32.ge_u (local.get $h) (local.get $hEnd)))
        (local.set $i0 (i32.const 0))
        (block $groups_done
          (loop $rowgroup
            (br_if $groups_done (i32.ge_u (local.get $i0) (local.get $tq)))
            (local.set $rows (i32.sub (local.get $tq) (local.get $i0)))
            (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
            ;; keys the group's last row sees; the p and ds rows are that long, zero past each row's own keys
            (local.set $nmax (i32.add (i32.sub (i32.load offset=200 (local.get $job)) (local.get $tq)) (i32.add (local.get $i0) (local.get $rows))))
            (local.set $pitch (i32.shl (local.get $nmax) (i32.const 2)))
            (local.set $dsBase (i32.add (local.get $ws) (i32.shl (local.get $pitch) (i32.const 2))))
            (local.set $r (i32.const 0))
            (block $rows_done
              (loop $row
                (br_if $rows_done (i32.ge_u (local.get $r) (i32.const 4)))
                (local.set $pRow (i32.add (local.get $ws) (i32.mul (local.get $r) (local.get $pitch))))
                (local.set $dsRow (i32.add (local.get $dsBase) (i32.mul (local.get $r) (local.get $pitch))))
                ;; a missing row (the sequence's last group) stands in as its group's last row with weights 0
                (local.set $n (i32.const 0))
                (local.set $at (i32.add (local.get $i0) (local.get $r)))
                (if (i32.ge_u (local.get $r) (local.get $rows))
                  (then (local.set $at (i32.add (local.get $i0) (i32.sub (local.get $rows) (i32.const 1))))))
                (local.set $rowOff (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $tq)) (local.get $at)) (local.get $qs))
                                            (i32.mul (local.get $h) (local.get $hd4))))
                (if (i32.lt_u (local.get $r) (local.get $rows))
                  (then
                    (local.set $n (i32.add (i32.sub (local.get $nmax) (local.get $rows)) (i32.add (local.get $r) (i32.const 1))))
                    (local.set $rowDot (call $dot (i32.add (i32.load offset=172 (local.get $job)) (local.get $rowOff))
                                                  (i32.add (i32.load offset=164 (local.get $job)) (local.get $rowOff)) (local.get $hd4)))
                    (drop (call $dot_rows (i32.add (i32.load offset=152 (local.get $job)) (local.get $rowOff))
                      (local.get $ka) (local.get $kvs) (local.get $n) (local.get $hd4) (local.get $scale) (local.get $pRow)))
                    (drop (call $exp_shift (local.get $pRow) (local.get $n) (f32.const 1)
                      (f32.load (i32.add (i32.load offset=168 (local.get $job))
                        (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (i32.load offset=204 (local.get $job))) (local.get $h)) (local.get $tq))
                                          (local.get $at)) (i32.const 2))))))
                    (drop (call $dot_rows (i32.add (i32.load offset=172 (local.get $job)) (local.get $rowOff))
                      (local.get $va) (local.get $kvs) (local.get $n) (local.get $hd4) (f32.const 1) (local.get $dsRow)))
                    (local.set $j (i32.const 0))
                    (block $ds_done
                      (loop $ds
                        (br_if $ds_done (i32.ge_u (local.get $j) (local.get $n)))
                        (local.set $c (i32.shl (local.get $j) (i32.const 2)))
                        (f32.store (i32.add (local.get $dsRow) (local.get $c))
                          (f32.mul (f32.mul (f32.load (i32.add (local.get $pRow) (local.get $c)))
                                            (f32.sub (f32.load (i32.add (local.get $dsRow) (local.get $c))) (local.get $rowDot)))
                                   (local.get $scale)))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $ds)))
                    (call $weighted_rows (local.get $dsRow) (local.get $ka) (local.get $kvs) (local.get $n) (local.get $hd4)
                      (i32.add (i32.load offset=176 (local.get $job)) (local.get $rowOff)))))
                (local.set $j (local.get $n))
                (block $pad_done
                  (loop $pad
                    (br_if $pad_done (i32.ge_u (local.get $j) (local.get $nmax)))
                    (f32.store (i32.add (local.get $pRow) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                    (f32.store (i32.add (local.get $dsRow) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $pad)))
                (local.set $at (i32.add (i32.load offset=152 (local.get $job)) (local.get $rowOff)))
                (local.set $rowOff (i32.add (i32.load offset=172 (local.get $job)) (local.get $rowOff)))
                (if (i32.eq (local.get $r) (i32.const 0)) (then (local.set $q0 (local.get $at)) (local.set $do0 (local.get $rowOff))))
                (if (i32.eq (local.get $r) (i32.const 1)) (then (local.set $q1 (local.get $at)) (local.set $do1 (local.get $rowOff))))
                (if (i32.eq (local.get $r) (i32.const 2)) (then (local.set $q2 (local.get $at)) (local.set $do2 (local.get $rowOff))))
                (if (i32.eq (local.get $r) (i32.const 3)) (then (local.set $q3 (local.get $at)) (local.set $do3 (local.get $rowOff))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $row)))
            ;; dv_j += sum_r p_rj dOut_r,  dk_j += sum_r ds_rj q_r
            (local.set $dka (i32.add (i32.load offset=180 (local.get $job)) (local.get $kvOff)))
            (local.set $dva (i32.add (i32.load offset=184 (local.get $job)) (local.get $kvOff)))
            (local.set $j (i32.const 0))
            (block $keys_done
              (loop $key
                (br_if $keys_done (i32.ge_u (local.get $j) (local.get $nmax)))
                (local.set $at (i32.add (local.get $ws) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $p0 (v128.load32_splat align=4 (local.get $at)))
                (local.set $p1 (v128.load32_splat align=4 (i32.add (local.get $at) (local.get $pitch))))
                (local.set $p2 (v128.load32_splat align=4 (i32.add (local.get $at) (i32.shl (local.get $pitch) (i32.const 1)))))
                (local.set $p3 (v128.load32_splat align=4 (i32.add (local.get $at) (i32.mul (local.get $pitch) (i32.const 3)))))
                (local.set $at (i32.add (local.get $dsBase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $s0 (v128.load32_splat align=4 (local.get $at)))
                (local.set $s1 (v128.load32_splat align=4 (i32.add (local.get $at) (local.get $pitch))))
                (local.set $s2 (v128.load32_splat align=4 (i32.add (local.get $at) (i32.shl (local.get $pitch) (i32.const 1)))))
                (local.set $s3 (v128.load32_splat align=4 (i32.add (local.get $at) (i32.mul (local.get $pitch) (i32.const 3)))))
                (local.set $c (i32.const 0))
                (loop $upd
                  (v128.store align=4 (i32.add (local.get $dva) (local.get $c))
                    (f32x4.add (v128.load align=4 (i32.add (local.get $dva) (local.get $c)))
                      (f32x4.add
                        (f32x4.add (f32x4.mul (local.get $p0) (v128.load align=4 (i32.add (local.get $do0) (local.get $c))))
                                   (f32x4.mul (local.get $p1) (v128.load align=4 (i32.add (local.get $do1) (local.get $c)))))
                        (f32x4.add (f32x4.mul (local.get $p2) (v128.load align=4 (i32.add (local.get $do2) (local.get $c))))
                                   (f32x4.mul (local.get $p3) (v128.load align=4 (i32.add (local.get $do3) (local.get $c))))))))
                  (v128.store align=4 (i32.add (local.get $dka) (local.get $c))
                    (f32x4.add (v128.load align=4 (i32.add (local.get $dka) (local.get $c)))
                      (f32x4.add
                        (f32x4.add (f32x4.mul (local.get $s0) (v128.load align=4 (i32.add (local.get $q0) (local.get $c))))
                                   (f32x4.mul (local.get $s1) (v128.load align=4 (i32.add (local.get $q1) (local.get $c)))))
                        (f32x4.add (f32x4.mul (local.get $s2) (v128.load align=4 (i32.add (local.get $q2) (local.get $c))))
                                   (f32x4.mul (local.get $s3) (v128.load align=4 (i32.add (local.get $q3) (local.get $c))))))))
                  (local.set $c (i32.add (local.get $c) (i32.const 16)))
                  (br_if $upd (i32.lt_u (local.get $c) (local.get $hd4))))
                (local.set $dka (i32.add (local.get $dka) (local.get $kvs)))
                (local.set $dva (i32.add (local.get $dva) (local.get $kvs)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $key)))
            (local.set $i0 (i32.add (local.get $i0) (i32.const 4)))
            (br $rowgroup)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $head))))

  ;; ---- exp for attention's softmax -------------------------------------------------
  ;;
  ;; e^x for four lanes: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor polynomial to
  ;; degree 6 (truncation under 1.3e-7 relative, about one f32 ulp), times 2^n built in the
  ;; exponent bits. x is clamped to [-87, 88.7] so that 2^n stays a normal f32: inputs below
  ;; give ~1e-38 instead of 0, which no softmax sum notices.
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87)))
                             (f32x4.splat (f32.const 88.7))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504)))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x)
                    (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693145751953125))))
                    (f32x4.mul (local.get $n) (f32x4.splat (f32.const 1.428606765330187e-06)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.0013888889)) (f32x4.mul (local.get $r) (f32x4.splat (f32.const 0.00019841270)))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.0083333333)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.041666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.16666667)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 0.5)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $r) (local.get $p))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127)))
                 (i32.const 23))))

  ;; x[i] = e^(x[i] * scale - shift) for i < n at byte address $ptr (any alignment); returns
  ;; the sum of the results, accumulated in f64. A softmax row: shift = its max (or its
  ;; log-sum-exp, to recompute probabilities in the backward pass).
  (func $exp_shift (export "exp_shift") (param $ptr i32) (param $n i32) (param $scale f32) (param $shift f32) (result f64)
    (local $end i32) (local $vend i32) (local $y v128) (local $acc v128) (local $vs v128) (local $vsh v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vsh (f32x4.splat (local.get $shift)))
    (local.set $acc (f64x2.splat (f64.const 0)))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $vend)))
        (local.set $y (call $exp4 (f32x4.sub (f32x4.mul (v128.load align=4 (local.get $ptr)) (local.get $vs)) (local.get $vsh))))
        (v128.store align=4 (local.get $ptr) (local.get $y))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $y))))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $y (call $exp4 (f32x4.sub (f32x4.mul (f32x4.splat (f32.load (local.get $ptr))) (local.get $vs)) (local.get $vsh))))
        (f32.store (local.get $ptr) (f32x4.extract_lane 0 (local.get $y)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (i8x16.shuffle 0 1 2 3 16 17 18 19 16 17 18 19 16 17 18 19 (local.get $y) (v128.const i32x4 0 0 0 0)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br $tail)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; ---- SwiGLU: silu(gate) * up, and its gradients ---------------------------------------
  ;;
  ;; sigmoid(g) = 1 / (1 + e^-g) with $exp4; lanes past n (the tail) go through the same
  ;; four-lane code one element at a time.

  (func $sigmoid4 (param $g v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp4 (f32x4.neg (local.get $g))))))

  ;; out = g * sigmoid(g) * u over n floats (byte addresses).
  (func (export "swiglu") (param $g i32) (param $u i32) (param $out i32) (param $n i32)
    (local $i i32) (local $vn i32) (local $x v128)
    (local.set $vn (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vn)))
        (local.set $x (v128.load align=4 (local.get $g)))
        (v128.store align=4 (local.get $out)
          (f32x4.mul (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $x))) (v128.load align=4 (local.get $u))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32x4.splat (f32.load (local.get $g))))
        (f32.store (local.get $out) (f32x4.extract_lane 0
          (f32x4.mul (f32x4.mul (local.get $x) (call $sigmoid4 (local.get $x))) (f32x4.splat (f32.load (local.get $u))))))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; dGate = dy * u * s * (1 + g * (1 - s)), dUp = dy * g * s, s = sigmoid(g), for four lanes:
  ;; stores both at the given addresses.
  (func $swiglu_backward4 (param $x v128) (param $u v128) (param $dy v128) (param $dg i32) (param $du i32) (param $lanes i32)
    (local $s v128) (local $a v128) (local $b v128)
    (local.set $s (call $sigmoid4 (local.get $x)))
    (local.set $a (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dy) (local.get $u)) (local.get $s))
      (f32x4.add (f32x4.splat (f32.const 1))
        (f32x4.mul (local.get $x) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $s))))))
    (local.set $b (f32x4.mul (f32x4.mul (local.get $dy) (local.get $x)) (local.get $s)))
    (if (i32.eq (local.get $lanes) (i32.const 4))
      (then
        (v128.store align=4 (local.get $dg) (local.get $a))
        (v128.store align=4 (local.get $du) (local.get $b)))
      (else
        (f32.store (local.get $dg) (f32x4.extract_lane 0 (local.get $a)))
        (f32.store (local.get $du) (f32x4.extract_lane 0 (local.get $b))))))

  (func (export "swiglu_backward") (param $g i32) (param $u i32) (param $dy i32) (param $dg i32) (param $du i32) (param $n i32)
    (local $i i32) (local $vn i32)
    (local.set $vn (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vn)))
        (call $swiglu_backward4 (v128.load align=4 (local.get $g)) (v128.load align=4 (local.get $u)) (v128.load align=4 (local.get $dy))
          (local.get $dg) (local.get $du) (i32.const 4))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dg (i32.add (local.get $dg) (i32.const 16)))
        (local.set $du (i32.add (local.get $du) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (call $swiglu_backward4 (f32x4.splat (f32.load (local.get $g))) (f32x4.splat (f32.load (local.get $u))) (f32x4.splat (f32.load (local.get $dy)))
          (local.get $dg) (local.get $du) (i32.const 1))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dg (i32.add (local.get $dg) (i32.const 4)))
        (local.set $du (i32.add (local.get $du) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; ---- RMSNorm: y = x * r * w per row of d, r = (mean(x^2) + eps)^-1/2 -----------------
  ;;
  ;; The row sums (x^2, and dy*w*x in the backward) accumulate in f64, two lanes at a time,
  ;; as the TypeScript kernels do; r and the backward's coefficient are computed in f64. The
  ;; elementwise parts are f32. Rows are contiguous, w is shared by every row.

  ;; acc + the four lanes of v, widened to f64.
  (func $widen_add (param $acc v128) (param $v v128) (result v128)
    (f64x2.add (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  (func $lanes_sum (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; 1 / sqrt(sum(x^2) / d + eps) over the d floats at $x.
  (func $inverse_rms (param $x i32) (param $d i32) (param $eps f64) (result f64)
    (local $j i32) (local $vd i32) (local $acc v128) (local $v v128) (local $ss f64) (local $e f64)
    (local.set $vd (i32.and (local.get $d) (i32.const -4)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $j) (local.get $vd)))
        (local.set $v (v128.load align=4 (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $acc (call $widen_add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vec)))
    (local.set $ss (call $lanes_sum (local.get $acc)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $e (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $ss (f64.add (local.get $ss) (f64.mul (local.get $e) (local.get $e))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tail)))
    (f64.div (f64.const 1)
      (f64.sqrt (f64.add (f64.div (local.get $ss) (f64.convert_i32_u (local.get $d))) (local.get $eps)))))

  (func (export "rmsnorm") (param $x i32) (param $w i32) (param $out i32) (param $rows i32) (param $d i32) (param $eps f64)
    (local $row i32) (local $j i32) (local $vd i32) (local $r f32) (local $vr v128) (local $at i32)
    (local.set $vd (i32.and (local.get $d) (i32.const -4)))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $r (f32.demote_f64 (call $inverse_rms (local.get $x) (local.get $d) (local.get $eps))))
        (local.set $vr (f32x4.splat (local.get $r)))
        (local.set $j (i32.const 0))
        (block $done
          (loop $vec
            (br_if $done (i32.ge_u (local.get $j) (local.get $vd)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (v128.store align=4 (i32.add (local.get $out) (local.get $at))
              (f32x4.mul (f32x4.mul (v128.load align=4 (i32.add (local.get $x) (local.get $at))) (local.get $vr))
                         (v128.load align=4 (i32.add (local.get $w) (local.get $at)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (f32.store (i32.add (local.get $out) (local.get $at))
              (f32.mul (f32.mul (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $r))
                       (f32.load (i32.add (local.get $w) (local.get $at)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows_loop))))

  ;; dx = r * dy * w - x * c with c = r^3 / d * sum(dy * w * x);  dw += dy * x * r (dw is
  ;; d floats, zeroed by the caller, summed over the rows in f32).
  (func (export "rmsnorm_backward") (param $x i32) (param $w i32) (param $dy i32) (param $dx i32) (param $dw i32)
                                    (param $rows i32) (param $d i32) (param $eps f64)
    (local $row i32) (local $j i32) (local $vd i32) (local $at i32) (local $acc v128) (local $dot f64)
    (local $r64 f64) (local $r f32) (local $c f32) (local $vr v128) (local $vc v128) (local $vx v128) (local $vdy v128)
    (local.set $vd (i32.and (local.get $d) (i32.const -4)))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $r64 (call $inverse_rms (local.get $x) (local.get $d) (local.get $eps)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $j (i32.const 0))
        (block $done
          (loop $vec
            (br_if $done (i32.ge_u (local.get $j) (local.get $vd)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $acc (call $widen_add (local.get $acc)
              (f32x4.mul (f32x4.mul (v128.load align=4 (i32.add (local.get $dy) (local.get $at)))
                                    (v128.load align=4 (i32.add (local.get $w) (local.get $at))))
                         (v128.load align=4 (i32.add (local.get $x) (local.get $at))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (local.set $dot (call $lanes_sum (local.get $acc)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $dot (f64.add (local.get $dot) (f64.promote_f32
              (f32.mul (f32.mul (f32.load (i32.add (local.get $dy) (local.get $at))) (f32.load (i32.add (local.get $w) (local.get $at))))
                       (f32.load (i32.add (local.get $x) (local.get $at)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (local.set $r (f32.demote_f64 (local.get $r64)))
        (local.set $c (f32.demote_f64 (f64.div (f64.mul (f64.mul (f64.mul (local.get $r64) (local.get $r64)) (local.get $r64)) (local.get $dot))
                                               (f64.convert_i32_u (local.get $d)))))
        (local.set $vr (f32x4.splat (local.get $r)))
        (local.set $vc (f32x4.splat (local.get $c)))
        (local.set $j (i32.const 0))
        (block $done2
          (loop $vec2
            (br_if $done2 (i32.ge_u (local.get $j) (local.get $vd)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (local.set $vx (v128.load align=4 (i32.add (local.get $x) (local.get $at))))
            (local.set $vdy (v128.load align=4 (i32.add (local.get $dy) (local.get $at))))
            (v128.store align=4 (i32.add (local.get $dx) (local.get $at))
              (f32x4.sub (f32x4.mul (f32x4.mul (local.get $vr) (local.get $vdy)) (v128.load align=4 (i32.add (local.get $w) (local.get $at))))
                         (f32x4.mul (local.get $vx) (local.get $vc))))
            (v128.store align=4 (i32.add (local.get $dw) (local.get $at))
              (f32x4.add (v128.load align=4 (i32.add (local.get $dw) (local.get $at)))
                         (f32x4.mul (f32x4.mul (local.get $vdy) (local.get $vx)) (local.get $vr))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec2)))
        (block $tail_done2
          (loop $tail2
            (br_if $tail_done2 (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (f32.store (i32.add (local.get $dx) (local.get $at))
              (f32.sub (f32.mul (f32.mul (local.get $r) (f32.load (i32.add (local.get $dy) (local.get $at)))) (f32.load (i32.add (local.get $w) (local.get $at))))
                       (f32.mul (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $c))))
            (f32.store (i32.add (local.get $dw) (local.get $at))
              (f32.add (f32.load (i32.add (local.get $dw) (local.get $at)))
                       (f32.mul (f32.mul (f32.load (i32.add (local.get $dy) (local.get $at))) (f32.load (i32.add (local.get $x) (local.get $at)))) (local.get $r))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail2)))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $dy (i32.add (local.get $dy) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $dx (i32.add (local.get $dx) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows_loop))))

  ;; ---- same-length elementwise ops: residual adds, gradient sums, optimizer updates ----
  ;;
  ;; out = a op b over n floats, op 0 add, 1 sub, 2 mul, 3 div (the op is loop-invariant,
  ;; so its branch predicts perfectly); out may be a or b.
  (func (export "binary") (param $op i32) (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $end i32) (local $vend i32) (local $va v128) (local $vb v128) (local $y v128) (local $sa f32) (local $sb f32) (local $s f32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $out) (local.get $vend)))
        (local.set $va (v128.load align=4 (local.get $a)))
        (local.set $vb (v128.load align=4 (local.get $b)))
        (local.set $y
          (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
            (then (if (result v128) (local.get $op)
                    (then (f32x4.sub (local.get $va) (local.get $vb)))
                    (else (f32x4.add (local.get $va) (local.get $vb)))))
            (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
                    (then (f32x4.mul (local.get $va) (local.get $vb)))
                    (else (f32x4.div (local.get $va) (local.get $vb)))))))
        (v128.store align=4 (local.get $out) (local.get $y))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $sa (f32.load (local.get $a)))
        (local.set $sb (f32.load (local.get $b)))
        (local.set $s
          (if (result f32) (i32.lt_u (local.get $op) (i32.const 2))
            (then (if (result f32) (local.get $op)
                    (then (f32.sub (local.get $sa) (local.get $sb)))
                    (else (f32.add (local.get $sa) (local.get $sb)))))
            (else (if (result f32) (i32.eq (local.get $op) (i32.const 2))
                    (then (f32.mul (local.get $sa) (local.get $sb)))
                    (else (f32.div (local.get $sa) (local.get $sb)))))))
        (f32.store (local.get $out) (local.get $s))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail))))

  ;; out = x * scale + shift over n floats, computed in f64 and rounded once, exactly as
  ;; the TypeScript kernel does (optimizer coefficients are not f32 numbers).
  (func $affine2 (param $x v128) (param $vs v128) (param $vsh v128) (result v128)
    (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (local.get $vs)) (local.get $vsh)))

  (func (export "affine") (param $x i32) (param $out i32) (param $n i32) (param $scale f64) (param $shift f64)
    (local $end i32) (local $vend i32) (local $vs v128) (local $vsh v128) (local $v v128)
    (local.set $vs (f64x2.splat (local.get $scale)))
    (local.set $vsh (f64x2.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $out) (local.get $vend)))
        (local.set $v (v128.load align=4 (local.get $x)))
        (v128.store align=4 (local.get $out)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (call $affine2 (local.get $v) (local.get $vs) (local.get $vsh)))
            (f32x4.demote_f64x2_zero (call $affine2
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))
              (local.get $vs) (local.get $vsh)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $vec)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (f32.demote_f64
          (f64.add (f64.mul (f64.promote_f32 (f32.load (local.get $x))) (local.get $scale)) (local.get $shift))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail))))

  ;; ---- RoPE, rotate-half layout ------------------------------------------------------
  ;;
  ;; x, out: [batch, seq, nHeads, 2 * half] f32; cos, sin: [seq, half] f64 (sin already
  ;; negated for the inverse rotation). out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin in f64,
  ;; rounded once: the TypeScript kernel's arithmetic, two lanes at a time.
  (func (export "rope") (param $x i32) (param $out i32) (param $cos i32) (param $sin i32)
                        (param $batch i32) (param $seq i32) (param $heads i32) (param $half i32)
    (local $b i32) (local $t i32) (local $h i32) (local $i i32) (local $vh i32) (local $row i32)
    (local $c i32) (local $s i32) (local $x1 i32) (local $x2 i32) (local $o1 i32) (local $o2 i32)
    (local $a v128) (local $z v128) (local $vc v128) (local $vs v128)
    (local $fa f64) (local $fz f64) (local $fc f64) (local $fs f64)
    (local.set $vh (i32.and (local.get $half) (i32.const -2)))
    (loop $b_loop
      (local.set $t (i32.const 0))
      (loop $t_loop
        (local.set $h (i32.const 0))
        (loop $h_loop
          ;; x1 at row start, x2 half floats on
          (local.set $row (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $seq)) (local.get $t)) (local.get $heads)) (local.get $h))
                                            (i32.shl (local.get $half) (i32.const 1)))
                                   (i32.const 2)))
          (local.set $x1 (i32.add (local.get $x) (local.get $row)))
          (local.set $x2 (i32.add (local.get $x1) (i32.shl (local.get $half) (i32.const 2))))
          (local.set $o1 (i32.add (local.get $out) (local.get $row)))
          (local.set $o2 (i32.add (local.get $o1) (i32.shl (local.get $half) (i32.const 2))))
          (local.set $c (i32.add (local.get $cos) (i32.shl (i32.mul (local.get $t) (local.get $half)) (i32.const 3))))
          (local.set $s (i32.add (local.get $sin) (i32.shl (i32.mul (local.get $t) (local.get $half)) (i32.const 3))))
          (local.set $i (i32.const 0))
          (block $done
            (loop $vec
              (br_if $done (i32.ge_u (local.get $i) (local.get $vh)))
              (local.set $a (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $x1))))
              (local.set $z (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $x2))))
              (local.set $vc (v128.load align=8 (local.get $c)))
              (local.set $vs (v128.load align=8 (local.get $s)))
              (v128.store64_lane align=4 0 (local.get $o1) (f32x4.demote_f64x2_zero
                (f64x2.sub (f64x2.mul (local.get $a) (local.get $vc)) (f64x2.mul (local.get $z) (local.get $vs)))))
              (v128.store64_lane align=4 0 (local.get $o2) (f32x4.demote_f64x2_zero
                (f64x2.add (f64x2.mul (local.get $z) (local.get $vc)) (f64x2.mul (local.get $a) (local.get $vs)))))
              (local.set $x1 (i32.add (local.get $x1) (i32.const 8)))
              (local.set $x2 (i32.add (local.get $x2) (i32.const 8)))
              (local.set $o1 (i32.add (local.get $o1) (i32.const 8)))
              (local.set $o2 (i32.add (local.get $o2) (i32.const 8)))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (br $vec)))
          (if (i32.lt_u (local.get $i) (local.get $half))
            (then
              ;; an odd half: its last pair
              (local.set $fa (f64.promote_f32 (f32.load (local.get $x1))))
              (local.set $fz (f64.promote_f32 (f32.load (local.get $x2))))
              (local.set $fc (f64.load (local.get $c)))
              (local.set $fs (f64.load (local.get $s)))
              (f32.store (local.get $o1) (f32.demote_f64
                (f64.sub (f64.mul (local.get $fa) (local.get $fc)) (f64.mul (local.get $fz) (local.get $fs)))))
              (f32.store (local.get $o2) (f32.demote_f64
                (f64.add (f64.mul (local.get $fz) (local.get $fc)) (f64.mul (local.get $fa) (local.get $fs)))))))
          (br_if $h_loop (i32.lt_u (local.tee $h (i32.add (local.get $h) (i32.const 1))) (local.get $heads))))
        (br_if $t_loop (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $seq))))
      (br_if $b_loop (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (local.get $batch)))))
)
