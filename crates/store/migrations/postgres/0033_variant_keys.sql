-- Search and duplicate keys fold the variant kanji of names (髙→高, 﨑→崎 …) and the wave dashes
-- and dashes (〜 ~ - … → ー): existing keys are rebuilt by the same table as kana::VARIANTS in
-- the domain crate (a test in crates/store holds the two equal), writing only the rows that change.
-- The names keep their characters.
UPDATE municipalities SET search_key = translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE search_key <> translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
UPDATE agencies SET search_key = translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE search_key <> translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
UPDATE agencies SET address_key = translate(address_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE address_key <> translate(address_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
UPDATE users SET search_key = translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE search_key <> translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
UPDATE children SET search_key = translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE search_key <> translate(search_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
UPDATE children SET duplicate_key = translate(duplicate_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー')
    WHERE duplicate_key <> translate(duplicate_key, '髙﨑嵜碕齋齊斉邊邉濵濱德冨嶋嶌𠮷槗櫻澤廣國眞惠實榮藏條淺圓壽彌豐與靜瀧鷗﨔曻〜~∼-‐–—―−', '高崎崎崎斎斎斎辺辺浜浜徳富島島吉橋桜沢広国真恵実栄蔵条浅円寿弥豊与静滝鴎欅昇ーーーーーーーーー');
