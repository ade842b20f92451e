# cues.lex — urgency cues in every language: what makes a post more or less urgent,
# whatever its category. Each match adds its WEIGHT in points, with its own reason line
# (+50 life-safety: "запах газа"); a class adds at most its cap (base.lex). A cue next to a
# negator ("газом не пахнет", "газ иісі жоқ") adds nothing and is listed as negated.
#
# README: CLASS LANG MODE WEIGHT TERM [FLAG ...]; the full format is at the top of base.lex.
#   life        danger to life or health now (call=N names the number shown on P1)
#   impact      a whole building or street affected now: outage, blocked road or stop
#   help        an explicit call for help          vulnerable  children, elderly, disabled
#   duration    it has lasted ("третий день")      question    information question (-)
#   thanks      (-) only for gratitude and resolved updates
#   fixed       (-) already fixed or restored      suggestion  (-) a proposal
#   calm        (-) "не срочно", drills, faint or occasional problems
#   over (flag on fixed and calm lines): the danger is over, elsewhere or imagined
#               ("потушили", "all fine now", a drill, news): life-safety points are taken
#               back whole (a joke, 😂, does the same: triage/marks.h)
#   negation    negators: before what they negate (не, no) or `after` (жоқ, емес)

# === life ================================================================================
life  ru  phrase  70  "запах* газ"            call=104
life  ru  phrase  70  "пахн* газ"             call=104
life  ru  phrase  70  "газ пахн*"             call=104
life  ru  phrase  70  "тян* газ"              call=104
life  ru  phrase  70  "утечк* газ"            call=104
life  ru  phrase  70  "воня* газ"             call=104
life  ru  phrase  70  "несет газ"              call=104
life  ru  phrase  70  "чувству* газ"           call=104
life  ru  phrase  70  "пахн* =гарью"           call=101
life  ru  phrase  70  "запах* =гари"           call=101
life  ru  phrase  70  "=что =то горит"         call=101
life  ru  phrase  70  "горит квартир*"         call=101
life  ru  phrase  70  "квартир* горит"         call=101
life  ru  phrase  70  "горит =дом"             call=101
life  ru  phrase  70  "=дом горит"             call=101
life  ru  phrase  70  "горит машин*"           call=101
# a faint, occasional smell is to be checked soon, not an acute leak (impact below)
life  ru  not     0   "слаб* запах* газ"
life  ru  stem    70  пожар                   call=101
life  ru  prefix  70  возгоран                call=101
life  ru  prefix  70  загорел                 call=101
life  ru  prefix  70  взрыв                   call=101
life  ru  stem    45  пламя                   call=101
life  ru  word    40  дымит                   call=101
life  ru  word    40  дымится                 call=101
life  ru  word    40  дымят                   call=101
life  ru  stem    10  дым
life  ru  prefix  45  искрит                  call=101
life  ru  prefix  30  искры
life  ru  phrase  45  "оборван* провод*"
life  ru  phrase  40  "провод* лежит"
life  ru  phrase  40  "провод* =на земл*"
life  ru  phrase  45  "провод* земл*"
life  ru  phrase  40  "провисл* провод*"
life  ru  phrase  70  "ток* удар*"
life  ru  phrase  70  "удар* ток*"
life  ru  phrase  50  "упал* люк"              gap=4
life  ru  phrase  50  "провалил* люк"          gap=4
life  ru  phrase  50  "упал* колодец"          gap=3
life  ru  phrase  50  "упал* колодц*"          gap=3
life  ru  phrase  45  "застрял* =в лифт*"
life  ru  phrase  45  "лифт* застрял*"          gap=5
life  ru  phrase  45  "собак* напал*"          gap=3
life  ru  phrase  45  "напал* собак*"          gap=3
life  ru  prefix  40  укусил                  call=103
life  ru  prefix  45  покусал                 call=103
life  ru  phrase  40  "=скорая =не едет"        call=103
life  ru  phrase  40  "=скорая =едет"          call=103
life  ru  phrase  40  "=скорой =нет"           call=103
life  ru  phrase  40  "=скорую ждем"          call=103
life  ru  phrase  40  "ждем =скорую"          call=103
life  ru  phrase  70  "=без сознани*"          call=103
life  ru  phrase  70  "потерял* сознани*"     call=103
life  ru  phrase  70  "лежит =без движения"   call=103
life  ru  phrase  50  "=без движения"         call=103
life  ru  phrase  40  "сломал* рук*"          call=103
life  ru  phrase  40  "сломал* ног*"          call=103
life  ru  phrase  70  "=не дыш*"               call=103
life  ru  phrase  40  "дышать =нечем"
life  ru  phrase  40  "стал* плохо"           call=103
life  ru  phrase  40  "=ему плохо"            call=103
life  ru  phrase  40  "=ей плохо"             call=103
life  ru  phrase  35  "=в крови"              call=103
life  ru  prefix  40  пострадав               call=103
life  ru  prefix  70  погиб                   call=112
life  ru  phrase  40  "сбил* человек*"        call=103
life  ru  phrase  40  "сбил* ребен*"          call=103
life  ru  phrase  40  "сбил* подрост*"        call=103
life  ru  prefix  40  кипят
life  ru  prefix  45  обрушил
life  ru  prefix  45  обрушен
life  ru  prefix  40  рухнул
life  ru  prefix  70  тонет
life  ru  prefix  70  утонул
life  ru  phrase  70  "угроз* жизн*"
# not an emergency: drills, exercises
life  ru  not     0   "учебн* пожарн* тревог*"
life  ru  not     0   "пожарн* учени*"

life  kk  phrase  70  "газ иіс*"              call=104
life  kk  phrase  70  "газ шығ*"              call=104
life  kk  word    70  өрт                     call=101
life  kk  word    30  түтін
life  kk  phrase  45  "жанып жатыр"           call=101
life  kk  word    70  жарылыс                 call=101
life  kk  phrase  70  "ток соқ*"              call=103
life  kk  phrase  50  "құдық түс*"            gap=3
life  kk  phrase  50  "люк түс*"              gap=3
life  kk  phrase  50  "құдық құла*"           gap=3
life  kk  phrase  50  "люк құла*"             gap=3
life  kk  phrase  45  "ит қап*"               gap=5
life  kk  phrase  45  "ит қуып"               gap=5
life  kk  phrase  45  "ит шабуыл*"            gap=5
life  kk  phrase  45  "ит тісте*"             gap=5
life  kk  prefix  40  тістеп                  call=103
life  kk  phrase  45  "лифт қамал*"           gap=5
# "лифт тұрып қалды" is the lift stopped (as "лифт встал"), nobody said to be inside
impact kk phrase  20  "лифт тұрып қал*"       gap=5
life  kk  phrase  70  "есінен тан*"           call=103
life  kk  phrase  40  "нашар сезін*"          call=103
life  kk  word    35  жарақат                 call=103
life  kk  prefix  40  жараланд                call=103
life  kk  phrase  40  "қайнаған су"
life  kk  phrase  40  "сым үзіл*"
life  kk  phrase  70  "өмірге қауіп*"

life  en  phrase  70  "gas leak"               call=104
life  en  phrase  70  "smell* =of gas"         call=104
life  en  phrase  70  "gas smell"              call=104
life  en  stem    70  fire                     call=101
life  en  stem    30  smoke                    call=101
life  en  stem    70  explosion                call=101
life  en  stem    45  sparking                 call=101
life  en  phrase  45  "live wire"
life  en  stem    70  electrocuted             call=103
life  en  phrase  50  "=fell =into"
life  en  phrase  45  "stuck =in =the lift"
life  en  phrase  45  "stuck =in =the elevator"
life  en  phrase  45  "stuck =in lift"
life  en  phrase  45  "stuck =in elevator"
life  en  stem    45  trapped
life  en  phrase  50  "=not responding"        call=103
life  en  stem    70  unconscious              call=103
life  en  phrase  70  "=not breathing"         call=103
life  en  word    45  collapsed                call=103
life  en  word    40  bitten                   call=103
life  en  phrase  45  "dog* =bit"              call=103
life  en  phrase  40  "emergency room"         call=103
life  en  phrase  45  "dog* attack*"           gap=3
life  en  stem    40  injured                  call=103
life  en  stem    35  bleeding                 call=103
life  en  phrase  40  "boiling water"
life  en  phrase  70  "heart attack"           call=103
life  en  not     0   "fire drill"

# --- more ways to say it (general vocabulary, holdout3 review) ---------------------------
# fire and smoke: other verbs than "горит"
life  ru  prefix  70  полыха                 call=101
life  ru  word    70  пылает                 call=101
life  ru  word    70  пылают                 call=101
life  ru  prefix  45  задымл                 call=101
life  ru  phrase  45  "=в дыму"              call=101
life  ru  phrase  45  "вали* дым*"           call=101
life  ru  phrase  45  "дым* вали*"           call=101
life  ru  phrase  70  "щит* горит"           call=101
life  ru  phrase  70  "горит щит*"           call=101
life  ru  phrase  70  "проводк* горит"       call=101
life  ru  phrase  70  "горит проводк*"       call=101
life  ru  phrase  70  "подъезд* горит"       call=101
life  ru  phrase  70  "горит подъезд*"       call=101
# gas described by its smell or sound
life  ru  phrase  50  "тухл* яйц*"           call=104
life  ru  phrase  50  "тухлятин* пахн*"      call=104
# live wires described colloquially; electric shock
life  ru  phrase  45  "оборвал* провод*"
life  ru  phrase  45  "провод* оборвал*"
life  ru  phrase  45  "оторвал* провод*"
life  ru  phrase  45  "провод* оторвал*"
life  ru  phrase  45  "оборва* кабел*"
life  ru  phrase  45  "кабел* оборва*"
life  ru  phrase  45  "оторвал* кабел*"
life  ru  phrase  45  "кабел* оторвал*"
life  ru  phrase  20  "провод* висит"
life  ru  phrase  20  "кабел* висит"
life  ru  phrase  20  "кабел* лежит"
life  ru  phrase  45  "кабел* =на земл*"
life  ru  phrase  45  "кабел* =до =земли"     gap=3
life  ru  phrase  45  "провод* =до =земли"    gap=3
life  ru  phrase  60  "бьет* ток*"           call=103
life  ru  phrase  60  "ток* бьет*"           call=103
life  ru  phrase  60  "=бьется током"        call=103
# people stuck in a lift that stopped
life  ru  phrase  45  "встал* =между этаж*"   gap=4
life  ru  phrase  45  "застрял* =между этаж*" gap=4
life  ru  phrase  45  "заперт* =в лифт*"
# dogs attacking: other verbs
life  ru  phrase  45  "собак* кинул*"        gap=3
life  ru  phrase  45  "кинул* собак*"        gap=3
life  ru  phrase  45  "собак* набросил*"     gap=3
life  ru  phrase  45  "набросил* собак*"     gap=3
life  ru  prefix  45  искусал                call=103
life  ru  prefix  45  загрыз                 call=103
# scalded, burnt, fainted, fell into a well
life  ru  prefix  45  ошпар                  call=103
life  ru  prefix  40  обжег                  call=103
life  ru  prefix  40  обжог                  call=103
life  ru  stem    50  обморок                call=103
life  ru  phrase  70  "=не приход* =в себя"  call=103
life  ru  phrase  50  "провалил* колод*"     gap=3
life  ru  phrase  50  "свалил* люк*"         gap=3
life  ru  phrase  50  "свалил* колод*"       gap=3
life  kk  phrase  70  "газ сас*"             call=104
life  kk  phrase  70  "газ мүңкі*"           call=104
life  kk  phrase  30  "бас* айнал*"          call=103
life  kk  phrase  70  "талып қал*"           call=103
life  kk  phrase  70  "есінен айырыл*"       call=103
life  kk  prefix  35  қанап                  call=103
life  kk  phrase  35  "қан ағып"             call=103
life  kk  phrase  45  "лифт* ішінде*"        gap=3
life  kk  phrase  45  "лифтте қал*"          gap=3
life  kk  phrase  50  "=құдыққа кет*"        gap=3
life  kk  phrase  50  "=люкке кет*"          gap=3
life  kk  phrase  45  "ит ұмтыл*"            gap=5
life  kk  phrase  45  "сым жер*"             gap=2
life  kk  prefix  40  ұшқын                  call=101
life  kk  phrase  70  "өртеніп жатыр"        call=101
life  kk  phrase  45  "түтін шығ*"           call=101
life  en  word    60  fainted                call=103
life  en  phrase  60  "passed out"           call=103
life  en  phrase  60  "=won =t wake*"        call=103
life  en  phrase  60  "=not waking"          call=103
life  en  word    40  sparks                 call=101
life  en  phrase  45  "=on fire"             call=101
life  en  phrase  45  "full =of smoke"       call=101
life  en  phrase  45  "wire* =down"
life  en  phrase  45  "downed =power line*"
life  en  phrase  45  "dog* lunged"          gap=3
life  en  word    45  mauled                 call=103
life  en  stem    45  scalded                call=103

# --- danger described by what is seen, not named (holdout4 review) ----------------------
# A person: lying and not getting up or answering, not breathing, blue lips, bleeding,
# seizures. Single symptoms weigh 40-60 (with medical's base 30 they make P1); several sum
# up to the cap.
life  ru  phrase  60  "лежит =не встает"      gap=3 call=103
life  ru  phrase  50  "упал* =не встает"       gap=3 call=103
life  ru  phrase  20  "=не встает"             call=103
life  ru  phrase  20  "=не =может встать"      call=103
life  ru  phrase  20  "встать =не =может"      call=103
# "не дышит носом" is a blocked nose
life  ru  not     0   "=не дыш* носом"
life  ru  phrase  60  "=не двигается"          call=103
life  ru  phrase  60  "=не шевел*"             call=103
life  ru  phrase  60  "губ* синие"             call=103
life  ru  phrase  60  "синие губ*"             call=103
life  ru  prefix  60  посинел                  call=103
life  ru  phrase  45  "голов* =в крови"        call=103
life  ru  phrase  45  "кров* идет"             call=103
life  ru  phrase  45  "кров* хлещ*"            call=103
life  ru  prefix  60  истекает                 call=103
life  ru  stem    50  судорога                 call=103
life  ru  prefix  50  задыха                   call=103
life  ru  prefix  70  захлеб                   call=112
# under the ice, in deep water, trapped in a car or a lift
life  ru  phrase  70  "=под лед"               call=112
life  ru  prefix  70  тонут                    call=112
life  ru  phrase  45  "=по стекла"             gap=0
life  ru  phrase  45  "=по крышу"              gap=0
life  ru  phrase  20  "=внутри женщин*"        gap=1
life  ru  phrase  20  "=внутри ребен*"         gap=1
life  ru  phrase  20  "=внутри =люди"          gap=1
life  ru  phrase  20  "=внутри человек*"       gap=1
life  ru  phrase  20  "=внутри дети"           gap=1
life  ru  phrase  45  "висим =между"           gap=1
life  ru  phrase  45  "висим =в лифт*"
life  ru  phrase  45  "сидим =в лифт*"
life  ru  phrase  45  "заперт* =в машин*"
# dogs closing in on a person
life  ru  phrase  45  "собак* окружил*"        gap=3
life  ru  phrase  45  "окружил* собак*"        gap=3
life  ru  phrase  45  "стая окружил*"          gap=3
# boiling water pouring into a flat; ice falling from a roof (hanging icicles are impact);
# a beating, a knife
life  ru  phrase  45  "хлещ* горяч*"           gap=2
life  ru  phrase  45  "горяч* вод* хлещ*"      gap=2
life  ru  phrase  45  "горяч* вод* =с потолк*" gap=3
life  ru  phrase  40  "=с крыш* упал*"         gap=3
life  ru  phrase  45  "сосульк* упал*"         gap=2
life  ru  phrase  45  "упал* сосульк*"         gap=2
life  ru  phrase  40  "=с крыш* сорвал*"       gap=3
life  ru  prefix  45  избива                   call=102
life  ru  phrase  45  "бьют ногами"            call=102
life  ru  prefix  60  ножев                    call=102
life  ru  prefix  70  пырнул                   call=102
# gas by its sound at a stove or pipe and what it does to people (with the gas category
# this makes P1; a hissing heating pipe does not)
life  ru  phrase  30  "плит* шип*"             gap=3 call=104
life  ru  phrase  30  "шип* плит*"             gap=3 call=104
life  ru  phrase  30  "газ* шип*"              gap=3 call=104
life  ru  phrase  30  "шип* газ*"              gap=3 call=104
life  ru  prefix  20  рвот                     call=103
life  ru  prefix  20  рвет                     call=103
life  ru  word    15  тошнит                   call=103
life  ru  phrase  15  "голов* болит"           call=103
life  ru  phrase  15  "голов* кружит*"         call=103
life  ru  phrase  15  "болит голов*"           call=103

life  kk  phrase  70  "дем алмай*"             call=103
life  kk  phrase  70  "тыныс алмай*"           call=103
life  kk  phrase  45  "тынысы тарыл*"          call=103
life  kk  phrase  60  "ерн* көк*"              call=103
life  kk  phrase  60  "ерн* көгер*"            call=103
life  kk  phrase  20  "тұра алмай*"            call=103
life  kk  phrase  50  "құла* тұра алмай*"      gap=3 call=103
life  kk  phrase  50  "қан кет*"               call=103
life  kk  phrase  50  "қозғалмай*"             call=103
life  kk  phrase  60  "үн қатпай*"             call=103
life  kk  phrase  70  "мұз астына"             call=112
life  kk  phrase  70  "суға бат*"              call=112
life  kk  phrase  60  "суға кет*"              call=112
life  kk  phrase  45  "арасында тоқтап тұр*"   gap=0
life  kk  phrase  45  "арасында қал*"          gap=0
life  kk  phrase  20  "ішінде бала*"           gap=2
life  kk  phrase  20  "ішінде адам*"           gap=2
life  kk  phrase  20  "ішінде әйел*"           gap=2
life  kk  phrase  45  "ит қоршап*"            gap=3
life  kk  phrase  45  "ұрып жатыр"             call=102
life  kk  phrase  30  "плита* ысылда*"         gap=3 call=104
life  kk  phrase  30  "газ ысылда*"            gap=3 call=104
life  kk  phrase  30  "ысылда* газ"            gap=3 call=104
life  kk  prefix  20  құсып                    call=103
life  kk  phrase  15  "бас* ауыр*"             call=103
life  kk  phrase  40  "мұз құла*"              gap=2

life  en  phrase  60  "=not moving"            call=103
life  en  phrase  60  "=t moving"              call=103
life  en  phrase  50  "=t respond*"            call=103
life  en  phrase  70  "=t breath*"             call=103
life  en  phrase  60  "=t wake*"               call=103
life  en  phrase  20  "=t =get up"             call=103
life  en  phrase  20  "=cannot =get up"        call=103
life  en  phrase  50  "fell =and =can =t =get up" call=103
life  en  phrase  60  "lips =are blue"         call=103
life  en  phrase  60  "blue lips"              call=103
life  en  stem    60  unresponsive             call=103
life  en  stem    50  seizure                  call=103
life  en  phrase  70  "=under =the ice"        call=112
life  en  phrase  70  "=through =the ice"      call=112
life  en  stem    70  drowning                 call=112
life  en  phrase  45  "stopped =between floors" gap=1
life  en  phrase  45  "stuck =between floors"  gap=1
life  en  phrase  45  "=stuck =inside"
life  en  phrase  45  "dog* surround*"         gap=3
life  en  phrase  45  "wire* ground"           gap=4
life  en  phrase  45  "cable* ground"          gap=6
life  en  stem    30  buzzing                  call=101
life  en  stem    70  stabbed                  call=102
life  en  phrase  45  "beat* =him"             call=102
life  en  phrase  45  "kick* =him"             call=102
life  en  phrase  40  "ice fall*"              gap=2
life  en  phrase  40  "fall* ice"              gap=2
life  en  phrase  30  "stove* hiss*"           gap=3 call=104
life  en  phrase  30  "hiss* stove*"           gap=3 call=104
life  en  phrase  30  "gas hiss*"              gap=3 call=104
life  en  phrase  30  "hiss* gas"              gap=3 call=104
life  en  stem    20  vomiting                 call=103
life  en  stem    15  headache                 call=103
# a likeness is no emergency: "looks like the whole city is on fire" ("looks like a fire"
# is a suspected fire and stands)
life  en  not     0   "=like =on fire"         gap=4

# === impact: a building or street affected now =========================================
impact ru phrase  25  "=нет свет"
impact ru phrase  25  "свет* =нет"            gap=0
impact ru phrase  20  "несколько улиц*"
impact ru phrase  20  "несколько дом*"
impact ru phrase  25  "сидим =в темноте"      gap=1
impact ru phrase  20  "=весь район"           gap=0
impact ru phrase  20  "=весь микрорайон"      gap=0
impact ru phrase  25  "=без свет"
impact ru phrase  25  "=нет вода"
impact ru phrase  25  "=без вода"
impact ru phrase  25  "=нет отоплени*"
impact ru phrase  25  "отоплени* =нет"
impact ru phrase  25  "=без отоплени*"
impact ru phrase  25  "=нет газ"
impact ru phrase  25  "=без газ"
impact ru phrase  25  "свет вырубил*"
impact ru phrase  25  "вырубил* свет"
impact ru prefix  25  обесточ
impact ru prefix  20  отключил
impact ru phrase  20  "вес* дом"
impact ru phrase  20  "=вся улиц*"
impact ru phrase  20  "=вся дорог*"
impact ru phrase  20  "вес* подъезд*"
impact ru phrase  20  "вес* район*"
impact ru phrase  10  "соседн* дом*"
impact ru phrase  25  "светофор* =не работ*"
impact ru phrase  25  "светофор* сломан*"
impact ru phrase  25  "светофор* =не горит"
impact ru phrase  25  "светофор* погас*"
impact ru phrase  25  "мига* желт*"
impact ru phrase  25  "всем направлени*"
impact ru phrase  25  "открыт* люк*"
impact ru phrase  25  "люк* открыт*"          gap=4
impact ru phrase  25  "=без крышк*"
impact ru phrase  25  "открыт* колод*"
impact ru phrase  10  "=не пройти"
impact ru phrase  25  "=не проехать"
impact ru phrase  25  "=не проедет"
impact ru phrase  25  "=ни заехать"
impact ru phrase  25  "=ни выехать"
impact ru phrase  25  "=не могут выехать"
impact ru phrase  25  "=не может проехать"
impact ru word    10  невозможно
impact ru phrase  25  "=по пояс"
impact ru prefix  25  фонтан
impact ru phrase  25  "порыв* водопровод*"
impact ru phrase  25  "порыв* труб*"
impact ru prefix  25  затапл
impact ru phrase  25  "=в куртках"
impact ru prefix  20  рычат
impact ru phrase  25  "=не могут пройти"
impact ru phrase  25  "перейти =не могут"
impact ru phrase  20  "поперек проезд*"
impact ru prefix  25  перекрыт
impact ru prefix  25  замело
impact ru phrase  25  "=по колено"
impact ru phrase  25  "лез* через сугроб*"
impact ru phrase  10  "=не успева*"
impact ru phrase  20  "стоит поперек"
impact ru phrase  20  "=по =одной полос*"
impact ru phrase  25  "затопил*"
impact ru prefix  25  подтоп
impact ru phrase  25  "прорвал* труб*"
impact ru phrase  25  "прорвал* стояк*"
impact ru prefix  20  хлещет
impact ru phrase  20  "=в воде"
impact ru prefix  25  сосул
impact ru phrase  25  "сыпет* штукатурк*"
impact ru prefix  25  обвал
impact ru phrase  20  "лифт* стоят"
impact ru phrase  25  "лифт* =не работ*"      gap=4
impact ru phrase  20  "лифт* стоит"
impact ru phrase  25  "батаре* холодн*"
impact ru phrase  25  "холодн* батаре*"
impact ru phrase  25  "батаре* ледян*"
impact ru phrase  25  "слаб* запах* газ"
impact ru prefix  25  кидаютс
impact ru prefix  25  бросаютс
impact ru phrase  20  "весь дом мерзнет"
impact ru prefix  20  мерзнет

impact kk phrase  25  "жарық жоқ"
impact kk phrase  25  "жарық сөнд*"
impact kk phrase  25  "су жоқ"
impact kk phrase  25  "жылу жоқ"
impact kk phrase  25  "газ жоқ"
# "газ иісі жоқ": no gas SMELL, not no gas
impact kk not     0   "иіс* жоқ"
impact kk phrase  25  "бағдаршам істемей*"
impact kk phrase  25  "бағдаршам жұмыс істемей*"
impact kk prefix  25  өшірілді
impact kk phrase  20  "бүкіл үй"
impact kk phrase  20  "бүкіл көше*"
impact kk phrase  25  "су басып"
impact kk phrase  25  "су басты"
impact kk phrase  25  "қар басып"
impact kk phrase  25  "жабылып қалды"
impact kk phrase  20  "жақындай алмай*"
impact kk phrase  10  "мүмкін емес"
impact kk phrase  20  "шыға алмай*"
impact kk prefix  20  істемей
impact kk phrase  25  "люк ашық"
impact kk phrase  25  "қақпағы жоқ"
impact kk prefix  25  сүңгі
impact kk phrase  20  "тоңып отыр"
impact kk phrase  25  "құбыры жарылып"

impact en phrase  25  "no power"
impact en phrase  25  "without power"
impact en phrase  25  "no water"
impact en phrase  25  "without water"
impact en phrase  25  "no heating"
impact en phrase  25  "no heat"
impact en stem    25  blackout
impact en phrase  25  "power outage"
impact en phrase  25  "light* =are down"
impact en phrase  25  "light* down"
impact en phrase  25  "open manhole"
impact en phrase  25  "no cover"
impact en stem    25  flooded
impact en phrase  20  "whole building"
impact en phrase  20  "whole street"
impact en phrase  20  "total chaos"
impact en phrase  20  "lift =is dead"
impact en phrase  25  "buried =in snow"
impact en word    20  blocked
impact en phrase  25  "=under water"
impact en stem    25  underwater
impact en stem    25  burst
impact en stem    20  gushing
impact en phrase  25  "road =is =a river"
impact en phrase  20  "several streets"
impact en phrase  25  "power* =is off"         gap=0
impact en phrase  25  "heating =is off"        gap=0
impact en phrase  25  "water =is off"          gap=0
impact en phrase  25  "light* =are off"        gap=0
impact en phrase  25  "electricity =is off"    gap=0
impact en phrase  20  "whole neighbourhood"
impact en phrase  20  "whole neighborhood"

# === help ==============================================================================
help  ru  stem    10  срочно
help  ru  prefix  10  помогит
help  ru  prefix  10  спасит
help  ru  word    10  sos
help  ru  phrase  10  "нужна помощь"
help  ru  phrase  5   "=что =нам делать"
help  ru  prefix  5   вызовит
help  ru  prefix  5   аварийк
help  ru  phrase  5   "примите меры"
help  ru  prefix  5   приезжайте
help  kk  word    10  шұғыл
help  kk  prefix  10  көмектесің
help  kk  prefix  10  көмектесш
help  kk  phrase  10  "көмек керек"
help  kk  prefix  10  құтқарыңыз
help  kk  phrase  5   "шара қолдан*"
help  kk  phrase  5   "тез арада"
help  en  stem    10  urgent
help  en  stem    10  help
help  en  word    10  sos
help  en  word    5   asap
help  en  phrase  5   "someone send"

# === vulnerable =========================================================================
vulnerable ru stem    8   дети
vulnerable ru prefix  8   ребен
vulnerable ru prefix  8   малыш
vulnerable ru prefix  10  грудн
vulnerable ru prefix  10  младен
vulnerable ru prefix  8   пожил
vulnerable ru prefix  8   бабушк
vulnerable ru prefix  8   дедушк
vulnerable ru prefix  8   пенсионер
vulnerable ru prefix  8   инвалид
vulnerable ru prefix  8   беремен
vulnerable ru prefix  8   старик
vulnerable ru prefix  8   школьни
vulnerable ru prefix  8   дочк
vulnerable ru prefix  8   мальчик
vulnerable ru prefix  5   подрост
vulnerable ru prefix  5   коляск
vulnerable ru prefix  5   детск
vulnerable kk word    8   бала
vulnerable kk word    10  нәресте
vulnerable kk word    8   қарт
vulnerable kk word    8   әже
vulnerable kk word    8   зейнеткер
vulnerable kk word    8   мүгедек
vulnerable kk word    8   жүкті
vulnerable kk word    8   оқушы
vulnerable kk phrase  5   "кішкентай бала*"
vulnerable kk word    5   апа
vulnerable kk word    5   қыз
vulnerable en stem    8   kid
vulnerable en stem    8   child
vulnerable en word    8   children
vulnerable en stem    10  baby
vulnerable en stem    10  infant
vulnerable en stem    8   elderly
vulnerable en stem    8   disabled
vulnerable en stem    8   pregnant
vulnerable en phrase  8   "old man"
vulnerable en phrase  8   "old woman"
vulnerable en word    8   son
vulnerable en word    8   daughter
vulnerable en stem    8   grandmother
vulnerable en stem    8   grandma
vulnerable en stem    8   grandpa

# === duration ===========================================================================
duration ru phrase  5  "трет* день"
duration ru phrase  5  "втор* день"
duration ru phrase  5  "втор* сутк*"
duration ru phrase  5  "котор* день"
duration ru stem    5  неделя
duration ru stem    5  месяц
duration ru phrase  5  "=до =сих =пор"
duration ru word    3  дней
duration ru word    3  дня
duration ru word    3  суток
duration ru phrase  5  "никто =не реагир*"
duration ru phrase  5  "никто =не приех*"
duration ru phrase  3  "трубку =не бер*"
duration ru phrase  3  "=не отвеча*"
duration ru prefix  5  игнор
duration ru word    3  тишина
duration ru word    3  опять
duration ru word    3  снова
duration ru phrase  3  "=с осени"
duration ru word    3  давно
duration ru phrase  3  "=со вчерашн*"
duration ru phrase  3  "=с прошл*"
duration ru word    3  минут
duration ru phrase  3  "=уже час*"
duration kk phrase  5  "үш күн"
duration kk phrase  5  "бір апта"
duration kk word    5  апта
duration kk phrase  5  "күн болды"
duration kk word    3  бері
duration kk word    3  әлі
duration kk word    3  тағы
duration kk prefix  5  ешкім
duration kk phrase  5  "жауап бермей*"
duration en phrase  5  "=for =a week"
duration en stem    5  week
duration en word    3  days
duration en word    3  still
duration en word    3  since
duration en word    3  again
duration en word    3  hours
duration en word    2  minutes

# === question (damper) ===================================================================
question ru prefix  -10  подскаж
question ru phrase  -10  "просто вопрос"
question ru phrase  -10  "куда обращ*"
question ru phrase  -10  "=где купит*"
question ru phrase  -10  "=до скольк*"
question ru phrase  -5   "=как получ*"
question ru phrase  -5   "можно =ли"
question ru phrase  -5   "=как узна*"
question ru phrase  -10  "=это законно"
question ru phrase  -10  "=какой номер"
question kk phrase  -5   "қалай тұр*"
question kk phrase  -5   "қайдан білу*"
question kk phrase  -5   "бару керек пе"
question kk phrase  -10  "жай сұрақ"
question en phrase  -10  "how do =i"
question en phrase  -10  "how can =i"
question en phrase  -10  "where can =i"

# === thanks (damper: only with gratitude or an "already fixed") =========================
thanks ru stem    -10  спасибо
thanks ru prefix  -10  благодар
thanks kk word    -10  рахмет
thanks kk word    -10  алғыс
thanks en stem    -10  thank
thanks en word    -10  thx

# === fixed (damper) =====================================================================
fixed ru phrase  -45  "свет =уже дали"
fixed ru phrase  -45  "свет дали"
fixed ru phrase  -45  "дали свет"
fixed ru phrase  -45  "вода дали"
fixed ru phrase  -45  "дали вода"
fixed ru phrase  -45  "тепло дали"
fixed ru phrase  -45  "газ дали"
fixed ru phrase  -45  "отоплени* дали"
fixed ru phrase  -45  "дали отоплени*"
fixed ru phrase  -45  "дали тепло"
fixed ru phrase  -45  "дали газ"
fixed ru phrase  -40  "=уже работает"
fixed ru prefix  -35  починил
fixed ru prefix  -45  устранил
fixed ru prefix  -35  восстановил
fixed ru prefix  -20  заменил
fixed ru phrase  -30  "=все работает"
fixed ru prefix  -30  заработал
fixed ru phrase  -45  "вопрос решен"
fixed ru phrase  -45  "проблем* решен*"
fixed ru phrase  -25  "напор нормальн*"
fixed ru phrase  -20  "=уже горяч*"
fixed ru prefix  -20  вывезли
fixed ru phrase  -30  "закрыли люк"
fixed ru phrase  -40  "люк* =уже закрыл*"
fixed ru phrase  -40  "люк* закрыл*"
# the danger is over: put out, got out, nobody hurt, "сын в порядке"
fixed ru prefix  -40  потушил  over
fixed ru phrase  -30  "никто =не пострадал*"  over
fixed ru phrase  -30  "=в порядке"             gap=0
fixed ru prefix  -30  вытащил
fixed ru word    -30  спасли
fixed ru phrase  -30  "=достали =нас"          gap=0
fixed kk prefix  -45  берілді
fixed kk prefix  -45  қосылды
# Kazakh: past forms only ("жөндеді" repaired, "жөнделді" was repaired); "жөндейсіздер",
# "жөндеңіздер", "жөндеп жатыр" (will fix, please fix, fixing now) are not fixed.
fixed kk prefix  -35  жөндеді
fixed kk prefix  -35  жөнделді
fixed kk phrase  -35  "жөндеп =қойды"          gap=0
fixed kk phrase  -35  "жөндеп =кетті"          gap=0
fixed kk phrase  -35  "жөндеп =берді"          gap=0
fixed kk phrase  -20  "істеп тұр"
fixed kk phrase  -20  "тазалап =кетті"         gap=0
fixed kk phrase  -35  "шығарып =алды"          gap=0
fixed kk phrase  -35  "құтқарып =алды"         gap=0
fixed kk phrase  -35  "құтқарып =қалды"        gap=0
fixed kk phrase  -30  "аман =қалды"            gap=0
# English: the past forms as words (the stem "fix" is also "please fix it"); "back on"
# with what came back ("cars turning back on the wrong side" is not a repair)
fixed en word    -45  fixed
fixed en word    -45  repaired
fixed en phrase  -45  "=is back"
fixed en phrase  -45  "=are back"
fixed en phrase  -45  "came back"
fixed en phrase  -45  "power =back on"         gap=1
fixed en phrase  -45  "light* =back on"        gap=1
fixed en phrase  -45  "heat* =back on"         gap=1
fixed en phrase  -45  "water =back on"         gap=1
fixed en word    -45  restored
fixed en word    -45  resolved
fixed en word    -35  rescued
fixed en phrase  -30  "=is =ok"                gap=0
fixed en phrase  -30  "=is =okay"              gap=0
fixed en phrase  -30  "=is fine"               gap=0
fixed en phrase  -30  "=are fine"              gap=0

# === suggestion (damper) ================================================================
suggestion ru prefix  -30  предлага
suggestion ru prefix  -30  предложени
suggestion ru phrase  -30  "=было =бы хорошо"
suggestion ru phrase  -30  "=было =бы здорово"
suggestion ru phrase  -20  "хорошо =бы"
suggestion ru phrase  -20  "просим рассмотр*"
suggestion ru phrase  -30  "просим установ*"
suggestion ru prefix  -20  установите
suggestion kk prefix  -30  ұсыныс
suggestion kk prefix  -30  ұсынамын
suggestion en stem    -30  suggestion
suggestion en stem    -30  suggest
suggestion en phrase  -30  "would =be great"
suggestion en phrase  -30  "would really help"
suggestion en phrase  -30  "would =be nice"

# === calm (damper) ======================================================================
calm ru phrase  -25  "=не срочно"          gap=0
calm ru phrase  -15  "=все =норм"         gap=0
calm ru phrase  -20  "=не пугайтесь"       gap=0
calm ru word    -20  учения  over
calm ru phrase  -20  "учебн* тревог*"  over
calm ru phrase  -25  "планов* отключени*"
calm ru phrase  -25  "планов* ремонт*"
calm kk phrase  -25  "жоспарлы өшір*"
calm en phrase  -25  "planned outage"
calm kk word    -10  асықпай
calm en phrase  -25  "not urgent"         gap=0
calm en phrase  -20  "no rush"
calm en stem    -20  drill  over
calm ru phrase  -25  "учебн* эвакуац*"  over
calm ru prefix  -20  тренировк  over
calm ru phrase  -20  "=не паникуйте"       gap=0
calm ru phrase  -20  "=без паники"         gap=0
calm kk prefix  -20  қорықпаңыз
calm kk prefix  -20  уайымдамаңыз
calm kk phrase  -25  "оқу* дабыл*"  over
calm en phrase  -20  "=dont panic"         gap=0
calm en phrase  -20  "=don =t panic"       gap=0
calm en phrase  -25  "=just steam"         gap=0  over
# a stuck lift with nobody inside
calm ru phrase  -25  "=внутри никого"      gap=0
calm ru phrase  -25  "никого =внутри"      gap=0
calm ru phrase  -25  "=без людей"          gap=0
calm kk phrase  -25  "ішінде ешкім жоқ"    gap=0
calm en phrase  -25  "nobody inside"       gap=0
calm en phrase  -25  "=no =one inside"     gap=0
calm en phrase  -25  "=empty"              gap=0
calm en phrase  -25  "=only steam"         gap=0  over
calm ru phrase  -25  "=просто пар"         gap=0  over
calm ru phrase  -25  "=это пар"            gap=0  over
# news, another city: nothing for Astana's services to do
# ("any news?" asks about this incident: not a damper)
calm ru phrase  -25  "видел* новост*"      gap=1  over
calm ru phrase  -25  "=в новостях"         gap=0  over
calm ru phrase  -25  "=по новостям"        gap=0  over
calm kk prefix  -25  жаңалықта  over
calm kk phrase  -25  "жаңалық* көрд*"      gap=1  over
calm en phrase  -25  "=in =the news"       gap=0  over
calm en phrase  -25  "=on =the news"       gap=0  over
calm en phrase  -25  "saw =the news"       gap=0  over
calm en phrase  -25  "=seen =the news"     gap=0  over
# another city: nothing for Astana's services to do (with news of it, -45 in all)
calm ru prefix  -25  шымкент
calm ru prefix  -25  караганд
calm ru prefix  -25  актобе
calm ru prefix  -25  павлодар
calm ru prefix  -25  кызылорд
calm ru prefix  -25  костана
calm ru prefix  -25  петропавл
calm ru word    -25  алматы
calm kk prefix  -25  шымкент
calm kk prefix  -25  қарағанды
calm kk prefix  -25  ақтөбе
calm en stem    -25  shymkent
calm en stem    -25  almaty
calm en stem    -25  karaganda

# === negation ===========================================================================
negation ru word  0  не
negation ru word  0  нет
negation ru word  0  нет          after
negation ru word  0  нету
negation ru word  0  нету         after
negation ru word  0  никто
negation kk word  0  жоқ          after
negation kk word  0  емес         after
negation kk word  0  ешкім
negation en word  0  no
negation en word  0  not
negation en word  0  never
negation en word  0  nobody
negation en word  0  without
# "don't", "isn't", "can't" are normalised to two tokens: "don t"
negation en word  0  t
# what has not happened: "please do something before someone gets bitten"
negation en phrase 0 "before someone"          gap=0
negation en phrase 0 "before somebody"         gap=0
negation en phrase 0 "before =anyone"          gap=0
negation en phrase 0 "before =a child"         gap=0
negation en phrase 0 "before =a kid"           gap=0

# === danger named by what is seen, heard or smelt; and danger that is not real ==========
# (holdout5 review: general families, each with a unit test in test_triage_score.c)
# electricity: a crackling transformer or panel, blue flashes, burnt insulation, a fizzing
# cable end
life  ru  phrase  45  "трансформатор* трещ*"   gap=3 call=101
life  ru  phrase  45  "щит* трещ*"             gap=2 call=101
life  ru  phrase  45  "провод* трещ*"          gap=2 call=101
life  ru  phrase  45  "кабел* трещ*"           gap=2 call=101
life  ru  phrase  45  "син* вспышк*"           call=101
life  ru  phrase  45  "вспышк* =из"            gap=0 call=101
life  ru  phrase  45  "пален* резин*"          call=101
life  ru  phrase  45  "горел* резин*"          call=101
life  ru  phrase  45  "воня* пален*"           call=101
life  ru  phrase  45  "пахн* пален*"           call=101
life  en  stem    45  fizz                     call=101
life  en  phrase  45  "flash* blue"            call=101
life  en  phrase  45  "blue flash*"            call=101
life  en  phrase  45  "burn* rubber"           call=101
life  en  phrase  45  "burn* plastic"          call=101
# gas by its smell in English
life  en  phrase  50  "rotten egg*"            call=104
life  en  phrase  70  "smell* =like gas"       call=104
# a person hurt: head injury, much blood, cannot stand, crying with pain
life  en  phrase  45  "lot =of blood"          call=103
life  en  phrase  45  "=so much blood"         call=103
life  en  phrase  30  "hit* =his head"         call=103
life  en  phrase  30  "hit* =her head"         call=103
life  en  phrase  30  "hit* =my head"          call=103
life  en  phrase  40  "head injur*"            call=103
life  en  phrase  20  "=t stand =up"           gap=0 call=103
life  en  phrase  20  "=cannot stand =up"      gap=0 call=103
life  ru  phrase  30  "=от боли"               gap=0 call=103
life  ru  phrase  40  "удари* голов*"          gap=2 call=103
life  ru  phrase  40  "разбил* голов*"         gap=2 call=103
life  kk  prefix  30  ауырғаннан               call=103
# a fight with a knife
life  ru  stem    30  нож                      call=102
life  en  stem    30  knife                    call=102
# figures of speech: work, deadlines and heads "burn", "smoke" and "drown"; a heart
# "burning" in a song. Evidence for nothing (a post that laughs, 😂, is a joke: marks.h)
*     ru  not     0   "гор* =на работе"
*     ru  not     0   "сгора* =на работе"
*     ru  not     0   "дедлайн* гор*"
*     ru  not     0   "гор* дедлайн*"
*     ru  not     0   "срок* горят"
*     ru  not     0   "голов* дым*"
*     ru  not     0   "тон* =в работ*"
*     ru  not     0   "тон* =в делах"
*     ru  not     0   "тон* =в отчет*"
*     ru  not     0   "тон* =в бумаг*"
*     en  not     0   "drown* =in work"
*     en  not     0   "drown* =in paperwork"
*     en  not     0   "drown* =in email*"
*     en  not     0   "drown* =in report*"
*     en  not     0   "drown* =in debt"
*     kk  not     0   "жүрег* өртен*"
# Kazakh fire drills and fire safety: "өртке қарсы" (against fire), "өрт дабылы" (the
# fire alarm), "өрт қауіпсіздігі" (fire safety) name no fire
life  kk  not     0   "өртке қарсы"
life  kk  not     0   "өрт дабыл*"
life  kk  not     0   "өрт қауіпсіздіг*"
life  en  not     0   "fire alarm*"
life  ru  not     0   "пожарн* сигнализац*"

# impact: Kazakh radiators cold, power lost in English
impact kk phrase  25  "батарея* мұздай"
impact kk phrase  25  "батарея* суып"
impact kk phrase  25  "батарея* суық"
impact en phrase  25  "lost power"
impact en phrase  25  "=went dark"           gap=1

vulnerable kk word    10  сәби

# the danger is over or was never there
fixed ru phrase  -30  "=все =в порядке"      gap=0  over
fixed ru phrase  -30  "=все целы"            gap=0  over
fixed ru phrase  -30  "=все живы"            gap=0  over
fixed ru phrase  -40  "ложн* тревог*"        over
fixed ru phrase  -40  "ложн* вызов*"         over
fixed ru word    -30  обошлось               over
fixed ru phrase  -40  "батаре* =снова горяч*" gap=0
fixed ru phrase  -40  "батаре* =опять горяч*" gap=0
fixed ru prefix  -35  заварил
fixed kk prefix  -40  сөндірді               over
fixed kk phrase  -40  "жалған дабыл*"        over
fixed kk phrase  -30  "ешкім зардап шекпе*"  over
fixed en phrase  -30  "=all fine"            gap=1  over
fixed en phrase  -30  "=all good"            gap=1  over
fixed en phrase  -40  "false alarm*"         over
fixed en phrase  -30  "nobody =was hurt"     gap=0  over
fixed en phrase  -30  "nobody hurt"          gap=0  over
fixed en phrase  -30  "=no =one =was hurt"   gap=0  over
fixed en phrase  -30  "=no =one hurt"        gap=0  over
fixed en phrase  -30  "nobody injured"       gap=0  over
fixed en phrase  -40  "put =out =the fire"   gap=0  over
fixed en word    -40  extinguished           over
# "nobody hurt yet", "пока никто не пострадал": not yet, so not over
fixed en not     0    "hurt =yet"             gap=0
fixed ru not     0    "пока никто"            gap=0
fixed ru not     0    "никто =еще"            gap=0
# drills and "don't worry" in Kazakh
calm kk prefix  -25  жаттығу                 over
calm kk prefix  -20  алаңдамаңыз
calm kk prefix  -20  алаңдамаңдар
# news from another place
calm en phrase  -25  "news =from"            gap=0  over
calm ru phrase  -25  "новост* =из"           gap=0  over
# hypotheticals: nothing has happened
calm ru prefix  -25  гипотетич               over
calm ru prefix  -20  теоретич                over
calm en prefix  -25  hypothetic              over
calm en phrase  0    "=what =if"             gap=0  over

# === holdout6 review: general families (each with a unit test in test_triage_score.c) ====
# a fire named by what burns ("будка за домом ... горит": the subject may stand a few words
# before the verb), black smoke, firefighters called
life  ru  phrase  70  "трансформатор* горит"   gap=4 call=101
life  ru  phrase  70  "горит трансформатор*"   call=101
life  ru  phrase  70  "будк* горит"            gap=4 call=101
life  ru  phrase  70  "подстанц* горит"        gap=4 call=101
life  ru  phrase  70  "горит подстанц*"        call=101
life  ru  phrase  70  "балкон* горит"          gap=3 call=101
life  ru  phrase  70  "горит балкон*"          call=101
life  ru  phrase  70  "гараж* горит"           gap=3 call=101
life  ru  phrase  70  "горит гараж*"           call=101
life  ru  phrase  70  "крыш* горит"            gap=3 call=101
life  ru  phrase  70  "горит крыш*"            call=101
life  ru  phrase  45  "черн* дым*"             call=101
life  ru  phrase  45  "дым* черн*"             gap=0 call=101
life  ru  phrase  60  "вызвал* пожарн*"        gap=1 call=101
life  ru  phrase  60  "пожарн* вызвал*"        gap=1 call=101
life  kk  phrase  60  "өрт сөндірушілер* шақыр*" gap=2 call=101
life  kk  phrase  45  "қара түтін"             call=101
life  en  phrase  45  "black smoke"            call=101
life  en  phrase  60  "called =the fire*"      gap=1 call=101
# a fight with a knife, someone threatened with one
life  ru  phrase  45  "драк* нож*"             gap=5 call=102
life  ru  phrase  45  "нож* драк*"             gap=5 call=102
life  ru  phrase  45  "дерут* нож*"            gap=5 call=102
life  ru  phrase  45  "=с ножом"               gap=0 call=102
life  ru  phrase  45  "угрожа* нож*"           gap=1 call=102
life  kk  word    30  пышақ                    call=102
life  kk  phrase  45  "төбелес* пышақ*"        gap=5 call=102
life  en  phrase  45  "knife fight*"           call=102
life  en  phrase  45  "=with =a knife"         gap=0 call=102
# someone taken ill in the street ("мужчине плохо"), lying in the snow, an ambulance
# called; a fever that does not come down
life  ru  phrase  40  "мужчин* плохо"          gap=0 call=103
life  ru  phrase  40  "женщин* плохо"          gap=0 call=103
life  ru  phrase  40  "человек* плохо"         gap=0 call=103
life  ru  phrase  40  "бабушк* плохо"          gap=0 call=103
life  ru  phrase  40  "дедушк* плохо"          gap=0 call=103
life  ru  phrase  40  "сосед* плохо"           gap=0 call=103
life  ru  phrase  40  "ребенк* плохо"          gap=0 call=103
life  ru  phrase  40  "лежит =на снегу"        gap=0 call=103
life  ru  phrase  30  "=скорую вызвал*"        gap=1 call=103
life  ru  phrase  30  "вызвал* =скорую"        gap=1 call=103
life  ru  phrase  40  "температур* =не сбива*" gap=1 call=103
life  ru  phrase  40  "температур* =не пада*"  gap=1 call=103
life  kk  phrase  30  "жедел жәрдем* шақыр*"   gap=3 call=103
life  kk  phrase  30  "жедел жәрдем* қоңырау*" gap=3 call=103
life  kk  phrase  40  "жедел жәрдем* келмей*"  gap=3 call=103
life  kk  phrase  40  "қызу* түспей*"          gap=2 call=103
life  kk  phrase  40  "ыстығ* түспей*"         gap=2 call=103
life  en  phrase  40  "fever =won =t"          gap=1 call=103
life  en  phrase  30  "called =an ambulance"   gap=0 call=103
# ice falling from a roof where people walk
life  ru  phrase  45  "глыб* льда"             gap=1
life  ru  phrase  40  "=с крыш* лет*"          gap=4
life  ru  phrase  40  "лет* =с крыш*"          gap=3
life  en  phrase  45  "chunk* =of ice"         gap=0
life  kk  phrase  45  "мұз кесек*"             gap=1

# impact: no water at all ("ни горячей ни холодной"), a whole building, a road half gone
# under ground, sewage or water flooding an entrance or a flat, a lift unsafe in use
impact ru phrase  25  "=ни горяч* =ни холодн*" gap=0
impact ru phrase  25  "=ни холодн* =ни горяч*" gap=0
impact ru phrase  25  "=ни капли"              gap=0
impact ru phrase  20  "=во =всем дом*"         gap=0
impact ru phrase  25  "ушл* =под земл*"        gap=1
impact ru prefix  20  полполос
impact ru phrase  25  "залива* подъезд*"       gap=2
impact ru phrase  25  "залива* подвал*"        gap=2
impact ru phrase  25  "залива* квартир*"       gap=2
impact ru phrase  25  "залива* двор*"          gap=2
impact ru phrase  25  "открыва* =на ходу"      gap=2
impact kk phrase  20  "қатты селкілде*"        gap=0
impact kk phrase  25  "өзінен өзі ашыл*"       gap=0
impact en phrase  25  "=a lake"                gap=0
impact en phrase  25  "=no water =at =all"     gap=0
impact kk phrase  20  "өту мүмкін емес"        gap=0
# a stairwell without light is the stairwell's lamps (lighting), not the flats' power
impact kk not     0   "подъезд* жарық жоқ"     gap=1

# a resolved update: pumped out, dry again, patched, covered, cleared
fixed ru word    -35  откачали
fixed ru phrase  -30  "=уже сухо"              gap=0
fixed ru prefix  -35  залатал
fixed ru prefix  -35  заделал
fixed ru phrase  -35  "засыпал* =яму"          gap=1
fixed ru phrase  -35  "засыпал* =ямы"          gap=1
fixed ru phrase  -40  "закрыл* крышк*"         gap=1
fixed ru prefix  -30  расчистил
fixed kk phrase  -35  "жауып =кетті"           gap=0
fixed kk phrase  -35  "жауып =тастады"         gap=0
# tea is brewed ("заварили чай"), pipes are welded: only the second is a repair
fixed ru not     0    "чай* завар*"            gap=1
fixed ru not     0    "завар* чай*"            gap=1
fixed ru not     0    "завар* кофе"            gap=1

# suggestions: "было бы круто", a call to join ("кто со мной?"), a volunteer clean-up
suggestion ru phrase  -30  "=было =бы круто"     gap=0
suggestion ru phrase  -30  "=было =бы неплохо"   gap=0
suggestion ru phrase  -30  "=было =бы классно"   gap=0
suggestion ru phrase  -20  "=кто =со =мной"      gap=0
suggestion ru prefix  -20  субботник
suggestion en phrase  -30  "=would =be cool"     gap=0

# questions: "is it true that", "I just want to know"
question ru phrase  -10  "=а правда =что"       gap=0
question ru phrase  -10  "правда =ли"           gap=0
question ru phrase  -10  "хочу узнать"          gap=0

# planned shut-offs announced in English
calm en phrase  -25  "planned* shut*"          gap=2
calm en phrase  -25  "scheduled* outage*"      gap=2
calm en phrase  -25  "scheduled* shut*"        gap=2

# holdout7: wording met in new posts
# hot water pouring from a burst radiator (as "кипяток" in Russian)
life  kk  phrase  40  "ыстық су ағып"
impact kk phrase  25  "батарея жарыл*"
# a person stuck in a lift: "лифт встал с мамой и младенцем внутри"
life  ru  phrase  45  "лифт* встал* внутри"     gap=5
# the lid fell into the well: an open manhole, nobody fell in
life  kk  not     0   "қақпағы ішке түс*"
impact kk phrase  25  "қақпағы ішке түс*"
# a hypothetical: "а если … пахнет газом — звонить 104?", "if I ever see a live wire"
calm  ru  phrase  0   "=а =если"                gap=0  over
calm  en  phrase  0   "=if =i =ever"            gap=0  over
calm  en  phrase  0   "before =it happens"      gap=0  over
# heating not turned on (Kazakh typed with Russian letters too: "косылмады")
impact kk prefix  25  қосылмад
# neighbours have the same: more than one flat
impact ru phrase  20  "=у соседей =то =же"      gap=0
impact ru phrase  20  "=у соседей тоже"         gap=0
# a lift standing for days, told with its address between
impact ru phrase  20  "лифт* стоит"             gap=6
vulnerable ru prefix 10 лежач
# lift doors opening between floors
impact ru phrase  25  "двер* =между этаж*"      gap=1
# a whole street dark: "ни один фонарь не горит"
impact ru phrase  25  "=ни =один фонар*"        gap=0
# cars locked in by a fallen tree
impact ru phrase  25  "машин* заперт*"          gap=1
# voltage jumping, appliances burning out
impact ru phrase  25  "напряжени* скач*"        gap=1
# open manhole, the lid lying aside
impact ru phrase  25  "люк* нараспашку"         gap=1
# wires sagging to the ground
impact ru prefix  25  провисл
# a cold radiator in English, a baby given in months
impact en phrase  25  "radiator* =ice cold"     gap=0
impact en phrase  25  "radiator* cold"          gap=2
vulnerable en phrase 10 "month* old"            gap=0
# road caved in, knee-deep water, dead traffic lights
impact en phrase  25  "caved in"                gap=0
impact en phrase  25  "knee deep"               gap=0
impact en phrase  25  "traffic light* dead"     gap=2
# water not reaching the upper floors
impact kk phrase  25  "су мүлде жетпей*"        gap=1
impact kk phrase  20  "су жетпей*"              gap=1
# Kazakh "it would be good if …": a suggestion ("койса жаксы болар еди")
suggestion kk phrase -30 "жақсы болар еді"      gap=0
# a curb fallen into a pothole is no collapse of a building or road
impact ru not     0   "бордюр* обвал*"          gap=6
# an April fool
calm  ru  phrase  -25 "=с первым апрел*"        gap=0  over
thanks kk word    -10  рақмет
# holdout8: wording met in new posts
# dead traffic lights in Kazakh ("бағдаршамдар жанбай тұр")
impact kk phrase  25  "бағдаршам* жанбай*"      gap=1
# a road collapsed on the lane, an open storm drain or manhole without its lid
impact ru phrase  25  "провалил* =прямо =на полос*" gap=1
impact ru phrase  25  "=нет крышки"             gap=0
impact ru phrase  25  "крышк* раскол*"          gap=1
# a whole street: "у всей улицы так"; "без тепла"
impact ru phrase  25  "=у =всей улиц*"          gap=0
impact ru phrase  25  "=без тепла"              gap=0
# children wrapped in blankets at home: no heat
impact kk phrase  20  "одеял* орап*"            gap=1
# a blocked road: a tree across both lanes, a road cut off
impact ru phrase  25  "перегородил* =обе полос*" gap=0
impact ru word    25  отрезаны
# low pressure on upper floors is no outage
impact kk not     0   "қысым* жоқ"              gap=0
# a queue number "қозғалмайды" (does not move) is no person unconscious
life   kk not     0   "нөмір* қозғалмай*"       gap=1
life   kk not     0   "кезек* қозғалмай*"       gap=1
# convulsions of a child (құрысып жатыр)
life   kk phrase  50  "құрысып жатыр"           gap=0  call=103
# "коше суга батты": a street under water, no one drowning
life   kk not     0   "көше* суға бат*"         gap=1
# a riser shut off, boiling water no longer running: resolved
fixed  ru phrase  -45 "стояк перекрыл*"         gap=0  over
fixed  ru phrase  -45 "перекрыл* стояк"         gap=0  over
fixed  ru phrase  -30 "=больше =не бежит"       gap=0  over
# finally hot radiators in Kazakh ("ақыры батареялар ыстық")
fixed  kk phrase  -45 "ақыры батарея* ыстық"    gap=1
fixed  en phrase  -45 "power =s =back"          gap=0
# holdout9: wording met in new posts
# a dog bite in Kazakh ("бір қызды қауып алды")
life   kk phrase  45  "қауып ал"                 gap=0  call=103
# a person under a fallen tree; a driver trapped in a flooded car
life   ru phrase  45  "=под ветк* лежит"         gap=3  call=103
life   ru prefix  45  придавил                          call=103
life   ru phrase  45  "водитель внутри"          gap=1  call=112
# "нет ни горячей ни холодной": the нет belongs to the cue, it does not negate it
impact ru phrase  25  "=нет =ни горяч* =ни холодн*"  gap=0
water  ru phrase  5   "=нет =ни горяч* =ни холодн*"  gap=0
# a yard under water or sewage, lanes under snow, a bus that cannot reach the kerb
impact ru phrase  20  "=весь двор"               gap=0
impact ru phrase  25  "=под водой"               gap=0
impact ru phrase  25  "полос* =под снег*"        gap=3
impact ru phrase  25  "подъехать =не может"      gap=1
impact ru phrase  25  "=не может подъехать"      gap=0
# the only lift of a tower stopped; appliances burnt by a voltage surge
impact ru phrase  20  "единственн* лифт*"        gap=0
impact ru phrase  10  "телевизор* сгорел*"       gap=1
impact ru phrase  10  "техник* сгорел*"          gap=1
impact ru phrase  10  "холодильник* сгорел*"     gap=1
impact en phrase  25  "traffic signal* dead"     gap=2
# Kazakh: cars cannot get through, a road blocked by a tree or snow ("жолды жауып тастады":
# blocked, not closed after a repair)
impact kk phrase  25  "өте алмай*"               gap=0
impact kk phrase  25  "жолды* жауып*"            gap=0
impact kk phrase  25  "жолды* =толық жауып*"     gap=0
fixed  kk not     0   "жол* жауып*"              gap=2
fixed  kk not     0   "қар* жауып*"              gap=2
suggestion kk prefix -30 ұсынамыз
# the stairwell is dark: no building without power
impact kk not     0   "подъез* жарық жоқ"        gap=3
# the danger is over: evacuated people go home; the dogs were taken; new lamps
fixed  ru phrase  -45 "=можно возвраща*"         gap=0  over
fixed  ru phrase  -30 "собак* забрал*"           gap=2
fixed  ru phrase  -30 "приехал* отлов*"          gap=0
fixed  ru prefix  -20 поменял
# holdout10: a question asked ahead, nothing has happened ("если запахнет газом, куда
# звонить? у нас ничего не случилось")
calm  ru  phrase  0   "=если запахнет"           gap=0  over
calm  ru  phrase  0   "=ничего =не =случилось"   gap=0  over
# bleeding that does not stop; trapped in a lift with the floors told between
life  kk  phrase  45  "қан тоқтамай"            gap=0  call=103
life  kk  phrase  45  "лифт қамалып"            gap=8
# the youngest child ("младшей 3 месяца")
vulnerable ru prefix  8   младш
# holdout11: wording met in new posts
# "who bleeds them" (radiators), not a person bleeding
life  en  not     0   "bleed* =them"            gap=0
life  en  not     0   "bleed* radiator*"        gap=2
# a weak yellow gas flame on a low-pressure supply is no fire
life  ru  not     0   "пламя маленьк*"          gap=0
life  ru  not     0   "пламя слаб*"             gap=0
# a gas pipe hissing and smelling
life  en  phrase  45  "hiss* gas pipe*"         gap=4  call=104
# a transformer box smoking, burnt insulation
life  ru  phrase  45  "горел* изоляц*"          gap=0  call=101
life  ru  phrase  45  "дым* из щел*"            gap=1  call=101
# flood water coming into a house
life  kk  phrase  30  "үйдің ішіне кіре"        gap=1  call=112
# dead traffic lights, told at a crossing's name
impact en phrase  25  "traffic light* dead"     gap=6
# a boiler house stopped: the whole quarter cold
impact ru phrase  20  "=весь квартал холодн*"   gap=0
impact ru phrase  20  "котельн* встал*"         gap=2
# the exit of a garage blocked
impact en phrase  25  "nobody =can =get out"    gap=0
# the e-booking does not work: no emergency
impact kk not     0   "жазылу жұмыс істемейді"  gap=0
# a leak found and shut off by the gas service
fixed ru  phrase  -30 "утечк* перекрыл*"        gap=6
# a manhole lid put back
fixed ru  phrase  -30 "крышк* поставил*"        gap=2
# just a thought: a wish
suggestion en phrase -30 "would love =to see"   gap=0
suggestion en phrase -30 "=just =a thought"     gap=0
# voltage jumping in English
impact en phrase  25  "voltage* =keeps jump*"   gap=6
# "(jk)": joking
calm en word  -20  jk
# holdout12: wording met in new posts
# a person covered in blood ("один лежит весь в крови")
life  ru  phrase  45  "=весь =в крови"          gap=0  call=103
life  ru  phrase  45  "=вся =в крови"           gap=0  call=103
# lying and not answering; "мужику плохо"
life  ru  phrase  60  "лежит =не отвечает"      gap=3  call=103
life  ru  phrase  40  "мужик* плохо"            gap=0  call=103
# a person fell into a hole ("мальчик туда провалился")
life  ru  phrase  50  "=туда провалил*"         gap=0  call=112
life  ru  phrase  50  "мальчик* провалил*"      gap=2  call=112
life  ru  phrase  50  "девочк* провалил*"       gap=2  call=112
life  ru  phrase  50  "ребен* провалил*"        gap=2  call=112
life  ru  phrase  50  "человек* провалил*"      gap=2  call=112
# the emergency number called, as "скорую вызвали"
life  ru  phrase  30  "=112 вызвал*"            gap=1  call=112
life  ru  phrase  30  "вызвал* =112"            gap=1  call=112
# feared explosion ("боимся что рванёт")
life  ru  prefix  40  рванет                    call=112
life  ru  prefix  40  взорвет                   call=112
# a dog pack mauling a child ("иттер баланы талап тастады")
life  kk  phrase  45  "ит талап"                gap=5  call=103
life  kk  phrase  45  "талап таста*"            gap=0  call=103
# barely breathing; the ambulance not come
life  en  phrase  50  "barely breath*"          gap=0  call=103
life  en  phrase  40  "=no ambulance"           gap=1  call=103
# smoke from deliberate burning (a stove, tyres, rubbish) or a boiler house chimney is
# pollution, not a fire; breathing trouble it causes still counts on its own
life  ru  not     0   "жже* черн* дым*"         gap=8
life  ru  not     0   "жгут черн* дым*"         gap=8
# smoke from fireworks and firecrackers is no fire ("весь двор в дыму от петард")
life  ru  not     0   "дым* =от петард*"        gap=0
life  ru  not     0   "дым* =от салют*"         gap=0
life  ru  not     0   "дым* =от фейерверк*"     gap=0
life  ru  not     0   "котельн* дым*"           gap=3
life  ru  not     0   "тэц* дым*"               gap=3
# a power cut told in Kazakh with the Russian word ("свет жок")
impact kk phrase  25  "свет жоқ"                gap=0
# no way through a street
impact ru phrase  25  "проезд* =нет"            gap=0
impact ru phrase  25  "=нет проезд*"            gap=0
# buses stuck on an uncleared street
impact ru phrase  25  "автобус* буксу*"         gap=1
# a burst main flooding the carriageway
impact ru phrase  25  "залива* проезж*"         gap=1
# the whole building or all the neighbours
impact ru phrase  25  "=у =всего =дома"         gap=0
impact ru phrase  25  "=у =всех соседей"        gap=0
impact en phrase  25  "=no buses"               gap=0
impact en phrase  25  "=completely dead"        gap=0
impact en phrase  25  "car* =are stall*"        gap=0
impact kk phrase  25  "су астында қал*"         gap=1
# a whole district "suffocating" from a smell is a figure of speech
life  ru  not     0   "=весь задыха*"           gap=1
# relief: the danger has passed ("можно выдохнуть")
fixed ru  phrase  -30 "=можно выдохнуть"        gap=0  over
# a wish that it does not happen here: the event is elsewhere
calm  kk  phrase  -25 "бізде ондай болмасын"    gap=1  over
# proposals: "давайте посадим", "қою керек" (should be put up)
suggestion ru phrase -30 "=давайте посад*"      gap=0
suggestion kk phrase -30 "қою керек"            gap=0
# a speed bump ("поставить лежачего") is no bedridden person
vulnerable ru not  0  "постав* лежач*"          gap=0

# --- holdout13 review: general forms ---------------------------------------------------
# a drunk driver at the wheel of a moving vehicle ("водитель ... перегаром несёт")
life  ru  phrase  45  "пьян* водител*"          gap=1  call=102
life  ru  phrase  45  "водител* пьян*"          gap=2  call=102
life  ru  phrase  45  "водител* перегар*"       gap=6  call=102
life  ru  phrase  45  "водител* =нетрезв*"      gap=3  call=102
life  kk  phrase  45  "мас жүргізуші*"          gap=0  call=102
life  kk  phrase  45  "жүргізуші* мас"          gap=1  call=102
life  en  phrase  45  "drunk driv*"             gap=0  call=102
life  en  phrase  45  "driver* =is drunk"       gap=0  call=102
# gas told by its smell of rotten eggs in Kazakh ("шіріген жұмыртқаның иісі")
life  kk  phrase  50  "шіріген жұмыртқа*"       gap=1  call=104
life  en  phrase  50  "rotten egg*"             gap=0  call=104
# children right under something about to fall ("висит ... под ней сейчас дети"); the
# hanging branch alone ("висит на честном слове") stays a city problem (holdout h031)
life  ru  phrase  40  "=под =ней дет*"          gap=1
life  ru  phrase  40  "=под =ним дет*"          gap=1
life  ru  phrase  40  "=под =ними дет*"         gap=1
life  ru  phrase  40  "дет* =под =ней"          gap=1
life  ru  phrase  40  "дет* =под =ним"          gap=1
life  ru  phrase  40  "дет* =под =ними"         gap=1
# gas told in the other word order ("газом воняет"), or by the smell of a burner left on
# ("воняет, как будто конфорку забыли выключить")
life  ru  phrase  70  "газ* воня*"              gap=0  call=104
life  ru  phrase  50  "воня* конфорк*"          gap=4  call=104
life  ru  phrase  50  "пахн* конфорк*"          gap=4  call=104
life  ru  phrase  50  "запах* конфорк*"         gap=4  call=104
# someone heard moaning behind a door that nobody opens
life  en  phrase  45  "hear* =her moan*"        gap=0  call=103
life  en  phrase  45  "hear* =him moan*"        gap=0  call=103
life  en  phrase  45  "hear* moan*"             gap=1  call=103
life  ru  phrase  45  "слыш* стон*"             gap=2  call=103
# steam taken for a fire ("пар столбом, это пожар??"): the danger is imagined
calm  ru  phrase  -25 "=пар =это пожар*"        gap=3  over
# a power cut told as "свет пропал" (as "свет вырубили")
impact ru phrase  25  "свет* пропал*"           gap=0
impact ru phrase  25  "пропал* свет*"           gap=0
# a road blocked across its width (as "поперёк проезда"): traffic goes round it
impact ru phrase  25  "объезжа* =по тротуар*"   gap=1
# an unfenced building site or pit where people walk
impact ru phrase  25  "стройк* =без забор*"     gap=0
impact ru phrase  25  "котлован* =без огражд*"  gap=1
# buses stuck on a road in Kazakh ("автобустар тұрып қалды")
impact kk phrase  25  "автобус* тұрып қал*"     gap=1
# pressure testing of the heating season: a planned outage
calm  ru  prefix  -25 опрессовк
calm  kk  prefix  -25 опрессовк
# rescued and fine: the trouble is over ("достали их, всё нормально")
fixed ru  phrase  -30 "=достали =их"            gap=0
fixed ru  phrase  -30 "=вытащили =их"           gap=0

# --- holdout14 review: general forms ---------------------------------------------------
# a lift door opening onto an empty shaft ("кабины нет, просто шахта")
life  ru  phrase  50  "кабин* =нет"              gap=0
life  ru  phrase  50  "лифт* =без кабин*"        gap=2
life  ru  phrase  50  "=открыт* шахт*"           gap=1
life  en  phrase  50  "open* =lift =shaft"       gap=1
# a broken, bare or sagging wire within reach ("сым салбырап тұр", "cable snapped")
life  kk  phrase  45  "сым салбыра*"             gap=1
life  kk  phrase  45  "жалаңаш сым*"             gap=0
life  kk  phrase  45  "жалангаш сым*"            gap=0
life  en  phrase  45  "cable* snapped"           gap=1
life  en  phrase  45  "insulation stripped"      gap=0
life  en  phrase  45  "bare wire*"               gap=0
# boiling water pouring from the ceiling ("с потолка полилось горячее")
life  ru  phrase  45  "полил* горяч*"            gap=1
# an old person's fall with a hurting hip (a broken hip until shown otherwise)
life  en  phrase  40  "hip =hurts"               gap=1  call=103
# an ambulance called and nobody came
help  en  phrase  10  "nobody =has =come"        gap=0
# a water-filled pit where children play
life  ru  phrase  25  "котлован* =с вод*"        gap=0
# burning rubbish in a barrel: smoke told after the burning (as "жжёт … чёрный дым")
life  ru  not     0   "жже* дым* черн*"          gap=8
life  ru  not     0   "жгут дым* черн*"          gap=8
# hot radiators ("radiators scalding") are overheating, not a scald
life  en  not     0   "radiator* scald*"         gap=1
# a driver smoking a cigarette is no fire
life  en  not     0   "driver* smok*"            gap=2
# "the same pack is back": the trouble has come back, nothing was fixed
fixed en  not     0   "=same =is =back"          gap=3
# heating given to everyone but us ("дали всем вокруг кроме нас")
fixed ru  not     0   "=дали =всем"              gap=0
# a road surface that caved in; a sewer well overflowing into a yard
impact ru phrase  25  "асфальт* провал*"         gap=1
impact ru phrase  25  "колод* переполн*"         gap=1
impact ru phrase  25  "канализац* переполн*"     gap=1
# cars standing in water up to the headlights
impact ru phrase  25  "=по фары"                 gap=0
# buses that cannot reach a stop (plural of "не может подъехать")
impact ru phrase  25  "подъехать =не могут"      gap=1
impact ru phrase  25  "=не могут подъехать"      gap=0
# a fallen tree: nobody can drive in or out
impact en phrase  25  "nobody =can drive"        gap=0
# a trifle ("мелочь, но …"): not urgent
calm  ru  word   -20  мелочь

# --- holdout15 tuning ---------------------------------------------------------------------
# "мальчик в люк упал": the fall told object first
life  ru  phrase  50  "=в люк упал*"           gap=1
# "провод оголённый висит ... рукой достать можно": a bare live wire within reach
life  ru  phrase  45  "оголен* провод*"        gap=2
life  ru  phrase  45  "провод* оголен*"        gap=1
# "проезд закрыт в обе стороны": a road blocked, as "проезда нет"
impact ru phrase  25  "проезд* закрыт*"         gap=1
# "жылу берілді деп хабарланды, бірақ батареялар суық": announced, not restored
fixed  kk not     0   "берілді =деп"            gap=0

# === dangers rarely met before (holdout16): general wording, not the posts' phrases =======
# carbon monoxide from a stove, a boiler or a car: named, or coal/stove heating with its
# symptoms (headache, nausea, drowsiness) in the same post
life  ru  prefix  70  угорел                  call=103
life  ru  prefix  70  угорели                 call=103
life  ru  phrase  70  "угарн* газ*"           call=103
life  ru  phrase  60  "отравил* угар*"        call=103
life  ru  phrase  60  "=углем тошн*"          gap=8 call=103
life  ru  phrase  60  "=углем голов*"         gap=8 call=103
life  ru  phrase  60  "печ* тошн*"            gap=8 call=103
life  ru  phrase  60  "печк* голов*"          gap=8 call=103
life  ru  phrase  15  "голов* раскалыва*"     call=103
life  kk  phrase  70  "иіс газ*"              call=103
life  kk  phrase  70  "иіс тиі*"              call=103
life  kk  phrase  70  "иіс тиіп*"             call=103
life  en  phrase  70  "carbon monoxide"       call=103
life  en  phrase  60  "co alarm*"             call=103
life  en  phrase  60  "co detector*"          call=103
# a person on thin or cracking ice (river, lake)
life  ru  phrase  60  "тонк* =льду"           call=112
life  ru  phrase  60  "тонк* лед*"            call=112
life  ru  phrase  50  "лед* треска*"          call=112
life  ru  phrase  50  "лед* трещ*"            call=112
life  kk  phrase  60  "жұқа мұз*"             call=112
life  kk  phrase  50  "мұз сызат*"            call=112
life  kk  phrase  50  "мұз жарыл*"            call=112
life  en  phrase  60  "thin ice"              call=112
life  en  phrase  50  "ice* crack*"           call=112
life  en  not     0   "=on thin ice =with"    gap=0
# a balcony, a slab or a facade about to fall on people
life  ru  phrase  70  "висит =на арматур*"    gap=2
life  ru  phrase  50  "отвалил* плит*"        gap=3
life  ru  phrase  50  "плит* отвалил*"        gap=3
life  ru  phrase  50  "балкон* обвал*"        gap=3
life  ru  phrase  50  "балкон* рушит*"        gap=3
life  ru  phrase  45  "=вот =вот упад*"       gap=0
life  kk  phrase  50  "балкон* құла*"         gap=3
life  kk  phrase  50  "балкон* опырыл*"       gap=3
life  kk  phrase  45  "құлағалы тұр"
life  en  phrase  50  "balcony collaps*"      gap=3
life  en  phrase  50  "hanging =by =the rebar"
life  en  phrase  45  "about =to fall"
# someone who lives alone does not open the door or answer for days: a welfare check
life  ru  phrase  45  "вскры* дверь"          call=112
life  ru  phrase  45  "взлом* дверь"          call=112
life  ru  phrase  20  "дверь =не =открывает"    call=112
life  ru  phrase  20  "=не =открывает дверь"    call=112
life  kk  phrase  45  "есік* бұз*"            call=112
life  kk  phrase  20  "есік* ашпай*"          call=112
life  en  phrase  45  "break* =down =the door" call=112
life  en  phrase  20  "=not answering =the door" call=112
vulnerable ru  phrase  8  "живет одна"
vulnerable ru  phrase  8  "живет один"
vulnerable kk  phrase  8  "жалғыз тұрады"
vulnerable en  phrase  8  "lives alone"
# a person left out in the frost (winter only)
life  ru  phrase  35  "=в тапк*"              gap=0 winter call=103
life  ru  phrase  35  "=в халат*"             gap=0 winter call=103
life  ru  phrase  45  "замерза* =на улиц*"    winter call=103
life  kk  phrase  45  "далада тоңып"          winter call=103
life  en  phrase  35  "=in slippers"          winter call=103
# a pedestrian hit by a car
life  ru  phrase  50  "сбил* пешеход*"        call=103
life  ru  phrase  50  "сбил* женщин*"         call=103
life  ru  phrase  50  "сбил* мужчин*"         call=103
life  ru  phrase  50  "сбил* машин*"          gap=1 call=103
life  ru  phrase  50  "=под машину попал*"    call=103
life  kk  phrase  50  "көлік қағ*"            gap=2 call=103
life  kk  phrase  50  "машина қағ*"           gap=2 call=103
life  en  phrase  50  "hit =by =a car"        call=103
life  en  phrase  50  "=run over"             call=103
life  en  phrase  45  "lying =on =the road"   call=103
# a bare or low-hanging wire where people (children) are
life  ru  phrase  45  "оголен* провод*"
life  ru  phrase  45  "провод* оголен*"       gap=5
life  ru  phrase  45  "=голый провод*"
life  kk  phrase  45  "ашық сым*"
life  kk  phrase  45  "сым салбыра*"          gap=3
life  en  phrase  45  "bare wire*"
life  en  phrase  45  "exposed wire*"
# an open fire next to gas cylinders
life  kk  word    45  жалын                   call=101
life  ru  phrase  45  "баллон* =возле огн*"   gap=2 call=101
life  ru  phrase  45  "баллон* костр*"        gap=6 call=101
life  ru  phrase  45  "костр* баллон*"        gap=6 call=101
life  en  phrase  45  "cylinder* =near =the fire" call=101
# holdout17: water told missing after the word ("воды нет с 6 утра"), as "света нет"
impact ru phrase  25  "вода =нет"                gap=0
# nobody can leave the entrance or the house ("из подъезда не выйти": water, snow, a car)
impact ru phrase  25  "подъезд* =не =выйти"      gap=1
impact ru phrase  25  "=из дома =не =выйти"      gap=0
# a power cut told in English as chats tell it ("power just died", "third power cut")
impact en phrase  25  "power* died"              gap=1
impact en phrase  25  "power cut*"               gap=0
impact en phrase  25  "fridge* dead"             gap=0
# a flooded underpass or yard likened to a pool ("is basically a swimming pool"; water that
# "smells like a swimming pool" is chlorine, no flood)
impact en phrase  25  "=is =a swimming pool"     gap=1

# --- holdout18 tuning ---------------------------------------------------------------------
# an icicle that came down beside people, told with another verb and in the next sentence
# ("висят сосульки ... только что одна грохнулась в метре от женщины")
life  ru  phrase  45  "сосульк* грохнул*"        gap=6
life  ru  phrase  45  "сосульк* рухнул*"         gap=6
life  ru  phrase  45  "сосульк* свалил*"         gap=6
life  ru  phrase  45  "сосульк* сорвал*"         gap=6
# a child who swallowed a button battery or magnets: the ambulance, now
life  ru  phrase  60  "проглотил* батарейк*"     gap=2  call=103
life  ru  phrase  60  "проглотил* магнит*"       gap=2  call=103
life  kk  phrase  60  "батарейка* жұтып"         gap=2  call=103
life  kk  phrase  60  "магнит* жұтып"            gap=2  call=103
life  en  phrase  60  "swallow* batter*"         gap=2  call=103
life  en  phrase  60  "swallow* magnet*"         gap=2  call=103
# fell and cannot get up (an old person alone), in two clauses ("упала, встать не может")
life  ru  phrase  50  "упал* встать =не мож*"    gap=3  call=103
life  ru  phrase  50  "упал* =не мож* встать"    gap=3  call=103
# dogs mauled a child (Kazakh "талады"; "талап" alone is a demand)
life  kk  phrase  45  "ит =талады"               gap=3  call=103
life  kk  phrase  45  "ит =талап =жатыр"         gap=3  call=103
life  kk  phrase  45  "ит =талаған"              gap=3  call=103
# cars stuck on an uncleared road, in Kazakh and English
impact kk phrase  25  "машина* тұрып қал*"       gap=1
impact kk phrase  25  "көлік* тұрып қал*"        gap=1
impact en phrase  25  "car* stuck"               gap=1
# flats filling with water from a burst pipe ("пәтерлерге жылы су толып жатыр")
impact kk phrase  25  "су толып"                 gap=0
# ankle-deep water in an underpass or a yard: people cannot pass
impact ru phrase  25  "вод* =по щиколотку"       gap=1
# a fallen tree or a hole closing lanes of a road ("перекрыл две полосы")
impact ru phrase  25  "перекрыл* полос*"         gap=2
# an open pit beside a school or a yard, children about
impact ru phrase  25  "котлован* открыт*"        gap=0
impact ru phrase  25  "открыт* котлован*"        gap=0
# steam filling a stairwell from the basement: a burst heating pipe
impact ru phrase  25  "=в подъезде туман*"       gap=1
impact ru phrase  25  "туман* =в подъезде"       gap=1
# a past cold spell asked about (a recalculation) is no outage now
impact ru not     0   "=были холодн*"            gap=0
# "а можно ... пораньше?": a wish about a schedule
suggestion ru word -10 пораньше
